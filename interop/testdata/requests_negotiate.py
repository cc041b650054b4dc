#!/usr/bin/python3
"""Fetch a URL with Python requests and requests-kerberos, and check the answer.

Usage:
    requests_negotiate.py [--delegate] URL WANT
    requests_negotiate.py --versions

The first form sends a GET with HTTPKerberosAuth(mutual_authentication=REQUIRED),
and with delegate=True if --delegate is given. It prints {"status": N, "body": "..."}
as JSON on stdout. It exits 0 only if the status is 200 and the body contains WANT.
It exits 1 on any mismatch or error. requests-kerberos raises an error when the
200 response lacks a valid mutual-authentication token.

The second form prints the versions of requests, requests-kerberos and pykerberos
as JSON.

Run it with Debian's /usr/bin/python3: the python3-requests-kerberos package
installs requests-kerberos there.
"""

import argparse
import json
import sys


def versions():
    import importlib.metadata

    import requests
    import requests_kerberos

    return {
        "requests": requests.__version__,
        "requests_kerberos": requests_kerberos.__version__,
        "pykerberos": importlib.metadata.version("pykerberos"),
    }


def fetch(url, want, delegate):
    import requests
    from requests_kerberos import REQUIRED, HTTPKerberosAuth

    session = requests.Session()
    # No proxies or .netrc from the environment: the demo is on localhost.
    session.trust_env = False
    auth = HTTPKerberosAuth(mutual_authentication=REQUIRED, delegate=delegate)
    response = session.get(url, auth=auth, timeout=30)
    print(json.dumps({"status": response.status_code, "body": response.text}))
    if response.status_code != 200:
        print(f"status {response.status_code}, want 200", file=sys.stderr)
        return 1
    if want not in response.text:
        print(f"body {response.text!r} does not contain {want!r}", file=sys.stderr)
        return 1
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", action="store_true", help="print library versions and exit")
    parser.add_argument("--delegate", action="store_true", help="delegate the user's credential")
    parser.add_argument("url", nargs="?")
    parser.add_argument("want", nargs="?", help="text the 200 body must contain")
    args = parser.parse_args()
    if args.versions:
        print(json.dumps(versions()))
        return 0
    if args.url is None or args.want is None:
        parser.error("URL and WANT are required")
    return fetch(args.url, args.want, args.delegate)


if __name__ == "__main__":
    sys.exit(main())
