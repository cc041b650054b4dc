// Command demo serves a few routes behind HTTP Negotiate, so that anyone can
// see SPNEGO/Kerberos authentication, mutual authentication and delegation
// work end to end.
//
//	demo [-listen 127.0.0.1:8080] [-keytab PATH] [-service HTTP] [-hostname NAME|*]
//	     [-realm mit|ad] [-delegation-dir DIR] [-realm-dir DIR]
//	     [-session-key-file PATH] [-allow-realm REALM]... [-allow-group SID]...
//	     [-constrained-delegation] [-selfcheck]
//
// Without -keytab it starts a throwaway MIT Kerberos realm of its own on
// 127.0.0.1 (it needs the krb5-kdc, krb5-admin-server and krb5-user
// packages: `make deps`), creates the user alice and the service key
// HTTP/localhost, and prints the two exports and the curl line to try. The
// realm and its KDC are removed when the demo exits, unless -realm-dir
// keeps them (see below).
//
// With -realm ad (and no -keytab) it starts a throwaway Active Directory
// domain instead, AD.EXAMPLE.TEST: a Samba AD domain controller on
// 127.0.0.1, ports 88 and 389 (it needs root and the samba-ad-dc, samba,
// winbind and krb5-user packages: `make deps-ad`). The user alice is in
// the groups engineers and readers, and the service account websvc holds
// HTTP/localhost with AES keys; its keytab holds the account's keys and
// the SPN's, the account first, and alice has a forwardable ticket. The
// demo prints the same exports and curl lines, and the SIDs of alice and
// her groups, which /info shows as the ticket's PAC has them. The first
// domain on a machine takes 5 to 8 seconds (samba-tool provisions a
// template); later ones under a second. One domain runs on a machine at a
// time, so a second demo -realm ad (or an AD test) waits for the first to
// stop. The domain is always removed on exit: -realm-dir is for -realm
// mit only.
//
// With -keytab it serves with that keytab and the machine's Kerberos
// configuration (KRB5_CONFIG is honoured). -hostname '*' accepts a ticket
// for any principal in the keytab.
//
// Routes:
//
//	GET /whoami     authentication required: the principal and a newline
//	GET /public     authentication optional: the principal, or "anonymous"
//	GET /delegated  calls /whoami on this server as the user, with the
//	                credential the user delegated (or, with
//	                -constrained-delegation, a proxy credential), and shows
//	                what it got
//	GET /info       authentication required: what the server knows of the
//	                user, as JSON (below)
//	GET /           a small HTML page saying who you are
//
// /info answers 200, application/json, with every key always present; a
// value the server does not have is "" or []:
//
//	principal        "alice@EXAMPLE.TEST"
//	local_name       the auth_to_local name, or ""
//	user_sid         the user's SID from an AD ticket's PAC, or ""
//	group_sids       the PAC's group SIDs, Domain Users among them, or []
//	                 (on a session request only those -allow-group names,
//	                 so none without it: a cookie holds no more)
//	upn              the PAC's user principal name, or ""
//	auth_indicators  the ticket's authentication indicators (MIT KDCs), or []
//	delegation       "none"; "forwarded" when the user forwarded a ticket;
//	                 "proxy" for the proxy credential of
//	                 -constrained-delegation; on a session, the kind of the
//	                 ccache -delegation-dir kept, if any
//	ccache           the ccache -delegation-dir stored, "FILE:/...", or ""
//	session          true when a session cookie authenticated the request
//	channel_bound    false: the demo serves plain HTTP
//	mech             the mechanism's OID, "1.2.840.113554.1.2.2" (Kerberos)
//	expires          when the ticket (or session) ends, RFC 3339, or ""
//
// -session-key-file turns sessions on: after one Negotiate, the server sets
// a cookie, sealed with AES-256-GCM, that later requests use instead of a
// token (try it with curl's cookie jar: -c FILE -b FILE). The file holds
// one key a line, each 64 hex digits (32 bytes, "openssl rand -hex 32");
// the first line seals new cookies and every line opens them, so keys
// rotate by adding a line on top. The demo serves plain HTTP, so its cookie
// is not Secure, and the log says so: anyone who sees the traffic can take
// the cookie. A session request carries no delegated credential: /delegated
// then works only with -delegation-dir, from the ccache file kept there.
//
// -allow-realm REALM, repeatable, lets in only principals of those realms;
// others get 403 (and "anonymous" on /public).
//
// -allow-group SID, repeatable, lets in only members of at least one of
// those Active Directory groups, as the ticket's PAC lists them (the SIDs
// /info shows: S-1-5-21-…-513 is Domain Users); others get 403 (and
// "anonymous" on /public), and the log says "group_not_allowed". A ticket
// without a PAC has no groups: every MIT KDC's ticket, and every ticket
// when the demo is built on Heimdal, is refused.
//
// -constrained-delegation turns on constrained delegation (S4U2Proxy,
// gss.WithConstrainedDelegation): for a user who does not delegate, the
// server makes a proxy credential from the user's ticket, and /delegated
// calls /whoami as the user with it, though curl sent no --delegation;
// /info then says "delegation": "proxy". A user who delegates still has
// the forwarded TGT used ("forwarded"); one whose ticket is not
// forwardable, or who is marked sensitive, leaves neither, and /delegated
// says so. The server needs its own TGT for this, which it gets from the
// keytab at start-up: the keytab must begin with a principal that can
// have one, in AD the service's account, not the SPN (export
// --principal=websvc, then --principal=HTTP/localhost, into one file). The
// KDC gives a proxy credential tickets only for the services the account
// may delegate to (in AD, its msDS-AllowedToDelegateTo), so for
// /delegated it must allow the service's own SPN: with -realm ad the
// domain lets websvc delegate to HTTP/localhost; with -keytab against your
// own AD, add it yourself (samba-tool delegation add-service websvc
// HTTP/localhost, or the account's Delegation tab). The embedded MIT realm
// works too, but shows less: its KDC keeps no delegation lists and refuses
// S4U2Proxy for every other service, and for the service itself MIT's
// library uses the user's ticket to it that the proxy credential holds,
// asking the KDC nothing (the log says so). It needs MIT krb5: built
// against Heimdal, the demo fails at start-up with gss's message. A proxy
// credential that -delegation-dir stores holds the service's own TGT as
// well as the user's ticket: see the gss package documentation,
// Constrained delegation.
//
// -selfcheck runs the whole round trip with the project's own client,
// /delegated included, prints a one-line verdict and exits 0 or 1. With
// -constrained-delegation, its /delegated check does not delegate, and
// expects a proxy credential to work, and /info to say "proxy".
//
// # A realm that stays: -realm-dir
//
// With -realm-dir DIR the realm stays in DIR when the demo exits, and the
// next run with the same DIR resumes it: the same principals and keys,
// alice's password from DIR/alice.password and a fresh ticket for her, the
// KDC on the same port if it is free, and so the same two exports. If the
// port is taken, the KDC gets a new one, which the demo writes into
// DIR/krb5.conf and DIR/kdc.conf. The log says which: "new realm",
// "resumed realm" or "resumed realm on a new port". A DIR that is neither
// new, nor empty, nor a realm the demo made is refused, and nothing in it
// is touched; so is a DIR that a running demo holds.
//
// Add principals with kadmin.local (in /usr/sbin), while the demo runs or
// not; the KDC finds them at once. A service gets a principal and a keytab
// of its own. Keep -norandkey on ktadd: without it, ktadd gives the
// principal a new key, and every keytab made before stops working
// (DIR/http.keytab, if the principal is HTTP/localhost).
//
//	export KRB5_CONFIG=DIR/krb5.conf KRB5_KDC_PROFILE=DIR/kdc.conf
//	kadmin.local -q "addprinc -pw bob-Passw0rd bob"
//	kadmin.local -q "addprinc -randkey HTTP/app.localhost"
//	kadmin.local -q "ktadd -norandkey -k DIR/app.keytab HTTP/app.localhost"
//	KRB5CCNAME=FILE:DIR/bob.ccache kinit bob   # bob-Passw0rd
//
// The KDC runs while the demo runs: leave the demo running, and your own
// service uses it through KRB5_CONFIG=DIR/krb5.conf with its own keytab.
// The demo itself can be that service:
//
//	demo -keytab DIR/app.keytab -hostname app.localhost -listen 127.0.0.1:8081
//	curl --negotiate -u : http://app.localhost:8081/whoami   # alice, with the demo's exports
//	KRB5CCNAME=FILE:DIR/bob.ccache curl --negotiate -u : http://app.localhost:8081/whoami
//
// Without the demo, run the realm's KDC yourself, with the same two
// exports: "krb5kdc -n" stays in the foreground until Ctrl-C, and
// "krb5kdc -P DIR/kdc.pid" runs in the background until
// "kill $(cat DIR/kdc.pid)"; it takes a second to exit. Stop it before the
// demo runs on DIR again, or the demo finds the port taken and moves to a
// new one.
package main
