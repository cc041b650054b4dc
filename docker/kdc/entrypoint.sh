#!/bin/bash
# Entrypoint of the KDC container: create the realm on first start, export the
# service keytab into the shared volume, then run krb5kdc in the foreground.
#   kdc-entrypoint          initialise (idempotent) and exec krb5kdc -n
#   kdc-entrypoint health   exit 0 once the keytab exists and the KDC listens
set -euo pipefail

realm=${KRB5_REALM:-EXAMPLE.TEST}
service=${SERVICE_PRINCIPAL:-HTTP/demo.example.test}
keytab=${KEYTAB:-/keytabs/http.keytab}
owner=${KEYTAB_OWNER:-10001:10001}   # uid:gid of the demo container's user

if [ "${1:-}" = health ]; then
    [ -s "$keytab" ] || exit 1
    : 2>/dev/null </dev/tcp/127.0.0.1/88 || exit 1
    exit 0
fi

: "${ALICE_PASSWORD:?ALICE_PASSWORD must be set}"

# Never leave a keytab from an earlier realm where the demo could read it.
rm -f "$keytab"

if [ ! -e /var/lib/krb5kdc/principal ]; then
    echo "kdc: creating realm $realm"
    kdb5_util create -s -r "$realm" -P "$(head -c 32 /dev/urandom | base64)" >/dev/null
    kadmin.local -r "$realm" addprinc -pw "$ALICE_PASSWORD" "alice@$realm"
    kadmin.local -r "$realm" addprinc -randkey "$service@$realm"
fi

# -norandkey keeps the key (and kvno) the KDC has, so a restart re-exports the
# same keytab. Write it beside the target and rename it into place, so the
# health check never sees a half-written file.
dir=$(dirname "$keytab")
mkdir -p "$dir"
tmp="$dir/.$(basename "$keytab").tmp"
rm -f "$tmp"
kadmin.local -r "$realm" ktadd -norandkey -k "$tmp" "$service@$realm"
chown "$owner" "$tmp"
chmod 0400 "$tmp"
mv -f "$tmp" "$keytab"
echo "kdc: exported $service@$realm to $keytab (owner $owner, mode 0400)"

exec krb5kdc -n
