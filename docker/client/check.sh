#!/bin/bash
# End-to-end checks of the demo from a Kerberos client, run by docker/test.sh
# as the client container's entrypoint. One PASS/FAIL line per check, then a
# summary; exit 0 only if every check passed.
#
#   check.sh            run the checks
#   check.sh CMD ARG..  run the checks, then exec CMD (e.g. bash) with alice's
#                       ticket still in KRB5CCNAME, for interactive use
set -uo pipefail

base=${DEMO_URL:-http://demo.example.test:8080}
user=${ALICE_PRINCIPAL:-alice@EXAMPLE.TEST}
password=${ALICE_PASSWORD:?ALICE_PASSWORD must be set}
export KRB5CCNAME=FILE:/tmp/krb5cc_alice
no_ticket=FILE:/tmp/krb5cc_none   # a cache that is never written

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "PASS $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1: $2"; }
oneline() { tr '\n' ' ' <<<"$1" | cut -c1-300; }

# request NAME ARGS...: curl with a time limit; sets body and status.
request() {
    local out
    out=$(curl -sS --max-time 20 -o /tmp/body -w '%{http_code}' "$@" 2>/tmp/curl.err) || true
    status=${out:-000}
    body=$(cat /tmp/body 2>/dev/null || true)
    rm -f /tmp/body
}
# client ARGS...: negotiate-client; sets body and rc.
client() {
    body=$(timeout 30 negotiate-client "$@" 2>/tmp/client.err)
    rc=$?
}

kdestroy -q 2>/dev/null || true

# Without a ticket: the server challenges, and the clients get no further.
request -H 'Accept: text/plain' "$base/whoami"
if [ "$status" = 401 ]; then pass "no Authorization header: /whoami answers 401"
else fail "no Authorization header: /whoami answers 401" "got $status"; fi

KRB5CCNAME=$no_ticket request --negotiate -u : "$base/whoami"
if [ "$status" = 401 ]; then pass "curl --negotiate without a ticket: 401"
else fail "curl --negotiate without a ticket: 401" "got $status"; fi

KRB5CCNAME=$no_ticket client "$base/whoami"
if [ "$rc" != 0 ]; then pass "negotiate-client without a ticket: exits non-zero ($rc)"
else fail "negotiate-client without a ticket: exits non-zero" "exit 0, body $(oneline "$body")"; fi

request -H 'Authorization: Negotiate AAAAAAAA' "$base/whoami"
if [ "$status" = 403 ]; then pass "a garbage Negotiate token: 403"
else fail "a garbage Negotiate token: 403" "got $status"; fi

# A forwardable TGT for alice.
if out=$(printf '%s\n' "$password" | kinit -f "$user" 2>&1); then
    pass "kinit -f $user"
else
    fail "kinit -f $user" "$(oneline "$out")"
fi
if klist -f 2>/dev/null | grep -A1 "krbtgt/" | grep -q 'Flags:.*F'; then
    pass "the TGT is forwardable"
else
    fail "the TGT is forwardable" "$(klist -f 2>&1 | tr '\n' ' ')"
fi

# curl, through libcurl's GSS-API (MIT).
request --negotiate -u : "$base/whoami"
if [ "$status" = 200 ] && [ "$body" = "$user" ]; then pass "curl --negotiate /whoami: $user"
else fail "curl --negotiate /whoami: $user" "$status $(oneline "$body") $(oneline "$(cat /tmp/curl.err)")"; fi

request --negotiate -u : "$base/public"
if [ "$status" = 200 ] && [ "$body" = "$user" ]; then pass "curl --negotiate /public: $user"
else fail "curl --negotiate /public: $user" "$status $(oneline "$body")"; fi

request "$base/public"
if [ "$status" = 200 ] && [ "$body" = anonymous ]; then pass "curl /public without auth: anonymous"
else fail "curl /public without auth: anonymous" "$status $(oneline "$body")"; fi

request --negotiate -u : --delegation none "$base/delegated"
if [[ $status != 5* && $body == *delegat* && $body != *"$user"* ]]; then
    pass "curl /delegated without delegation: $status, says why"
else
    fail "curl /delegated without delegation" "$status $(oneline "$body")"
fi

request --negotiate -u : --delegation always "$base/delegated"
if [ "$status" = 200 ] && [[ $body == *"$user"* ]]; then
    pass "curl --delegation always /delegated: the double hop ran as $user"
else
    fail "curl --delegation always /delegated" "$status $(oneline "$body")"
fi

# The project's own client, which also insists on mutual authentication.
client "$base/whoami"
if [ "$rc" = 0 ] && [ "$body" = "$user" ]; then pass "negotiate-client /whoami: $user"
else fail "negotiate-client /whoami: $user" "exit $rc, $(oneline "$body") $(oneline "$(cat /tmp/client.err)")"; fi

client -ccache "$KRB5CCNAME" "$base/whoami"
if [ "$rc" = 0 ] && [ "$body" = "$user" ]; then pass "negotiate-client -ccache $KRB5CCNAME /whoami: $user"
else fail "negotiate-client -ccache /whoami: $user" "exit $rc, $(oneline "$body") $(oneline "$(cat /tmp/client.err)")"; fi

client -delegate "$base/delegated"
if [ "$rc" = 0 ] && [[ $body == *"$user"* ]]; then
    pass "negotiate-client -delegate /delegated: the double hop ran as $user"
else
    fail "negotiate-client -delegate /delegated" "exit $rc, $(oneline "$body") $(oneline "$(cat /tmp/client.err)")"
fi

client "$base/delegated"
if [ "$rc" != 0 ]; then pass "negotiate-client /delegated without -delegate: refused (exit $rc)"
else fail "negotiate-client /delegated without -delegate: refused" "exit 0, $(oneline "$body")"; fi

echo "$passed passed, $failed failed"

if [ $# -gt 0 ]; then
    cat <<MSG

You are in the client container as a Unix user with $user's ticket
(KRB5CCNAME=$KRB5CCNAME). Try:
    curl --negotiate -u : $base/whoami
    curl --negotiate -u : --delegation always $base/delegated
    negotiate-client -delegate $base/delegated
    klist -f
Leave with exit; everything is then torn down.

MSG
    exec "$@"
fi
[ "$failed" = 0 ]
