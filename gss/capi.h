// The C half of capi.go: declarations of the small helpers over the
// GSS-API that capi.c defines, so that Go never builds a C structure that
// points into Go memory, and one place that knows the difference between
// MIT krb5 and Heimdal. capi.go and capi.c are the package's whole C
// surface.

#ifndef NEGOTIATE_CAPI_H
#define NEGOTIATE_CAPI_H

#include <stdlib.h>
#include <string.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>

// Heimdal's headers define HEIMDAL_DEPRECATED; MIT's never do.
#if defined(HEIMDAL_DEPRECATED)
#define NEGOTIATE_HEIMDAL 1
#else
#define NEGOTIATE_HEIMDAL 0
#include <gssapi/gssapi_ext.h>
#endif
#include <krb5.h>

// `make test-heimdal` defines NEGOTIATE_WANT_HEIMDAL: it makes the Heimdal
// build's flags, and so Go's build-cache keys, differ from the MIT build's
// (the cache does not see PKG_CONFIG_PATH), and it stops a build that
// found MIT's headers anyway.
#if defined(NEGOTIATE_WANT_HEIMDAL) && !NEGOTIATE_HEIMDAL
#error "NEGOTIATE_WANT_HEIMDAL is set but the GSS-API headers are MIT's: check PKG_CONFIG_PATH"
#endif

// DEFAULT_CLOCKSKEW is Kerberos's default clock skew allowance, in
// seconds, for when krb5.conf cannot be read: the one place it is written.
#define DEFAULT_CLOCKSKEW 300

// What keytab_probe finds in a keytab for a ticket's server principal.
enum keytab_keys {
	KEYTAB_HAS_KEY = 0,        // a key of the ticket's version and enctype
	KEYTAB_OTHER_ENCTYPES = 1, // keys of the ticket's version, none of its enctype
	KEYTAB_OTHER_VERSIONS = 2, // keys of other versions only
	KEYTAB_NO_KEY = 3,         // no key at all, or a keytab that cannot be read
};

// Which library: 1 for Heimdal, 0 for MIT.
int is_heimdal(void);

// Names, contexts and messages (capi.c documents each).
OM_uint32 import_name(OM_uint32 *minor, const char *s, int hostbased, gss_name_t *out);
OM_uint32 principal_name(OM_uint32 *minor, gss_name_t name, gss_buffer_t out, size_t *skip);
OM_uint32 name_attribute(OM_uint32 *minor, gss_name_t name, const char *attr,
	int *authenticated, gss_buffer_t value, int *more);
OM_uint32 accept_token(OM_uint32 *minor, gss_ctx_id_t *ctx, gss_cred_id_t cred,
	void *tok, size_t len, gss_name_t *src, gss_OID *mech, gss_buffer_t out,
	OM_uint32 *flags, OM_uint32 *time_rec, gss_cred_id_t *deleg,
	int *proxy, OM_uint32 *tkt_flags);
OM_uint32 init_token(OM_uint32 *minor, gss_cred_id_t cred, gss_ctx_id_t *ctx,
	gss_name_t target, void *mech, size_t mechlen, OM_uint32 req_flags, void *in, size_t len,
	gss_buffer_t out);
OM_uint32 verify_mic(OM_uint32 *minor, gss_ctx_id_t ctx, void *msg, size_t msglen,
	void *mic, size_t miclen);

// krb5.conf and the keytab.
krb5_context hold_config(void);
void release_config(krb5_context ctx);
char *default_realm(void);
int clock_skew(void);
enum keytab_keys keytab_probe(const char *keytab, const char *principal, int kvno, int enctype);
char *keytab_list(const char *keytab);
char *default_keytab_name(void);
int destroy_ccache(const char *ccache);

// Credentials: where MIT and Heimdal differ.
OM_uint32 acquire_acceptor(OM_uint32 *minor, const char *name, int hostbased,
	const char *keytab, const char *rcache, gss_cred_id_t *out);
OM_uint32 acquire_initiator(OM_uint32 *minor, const char *ccache, void *mech, size_t mechlen,
	gss_cred_id_t *out);
OM_uint32 store_initiator(OM_uint32 *minor, gss_cred_id_t cred, const char *ccache);
OM_uint32 cred_lifetime(OM_uint32 *minor, gss_cred_id_t cred, OM_uint32 *lifetime);

// S4U (MS-SFU): MIT only. Under Heimdal, whose GSS-API has none, they fail
// with GSS_S_UNAVAILABLE; Go refuses the options before it calls them.
OM_uint32 acquire_proxy(OM_uint32 *minor, const char *name, const char *keytab,
	const char *ccache, const char *rcache, gss_cred_id_t *out);
OM_uint32 impersonate(OM_uint32 *minor, gss_cred_id_t cred, const char *user, gss_cred_id_t *out);
OM_uint32 evidence_flags(OM_uint32 *minor, gss_cred_id_t cred, OM_uint32 *flags);

// TKT_FORWARDABLE is the forwardable bit of a ticket's flags (RFC 4120
// section 5.3, TKT_FLG_FORWARDABLE), as gss_krb5_get_tkt_flags and
// evidence_flags report them.
#define TKT_FORWARDABLE 0x40000000

#endif
