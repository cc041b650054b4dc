// The C half of capi.go: the helpers capi.h declares.
//
// MIT has the credential-store extension (gss_acquire_cred_from,
// gss_store_cred_into). Heimdal 7 has not; there the keytab and the caches
// are named through krb5 handles passed to gss_krb5_import_cred and
// gss_krb5_copy_ccache, which both libraries provide and which serialize the
// names, so no handle outlives a call. Neither way touches KRB5_KTNAME or
// KRB5CCNAME.

#include <stdio.h>

#include "capi.h"

int is_heimdal(void) { return NEGOTIATE_HEIMDAL; }

// is_proxy says whether cred is a proxy credential, one that initiates
// through S4U2Proxy for its client: MIT names its impersonator
// (GSS_KRB5_GET_CRED_IMPERSONATOR); Heimdal makes none.
static int is_proxy(gss_cred_id_t cred) {
#if NEGOTIATE_HEIMDAL
	(void)cred;
	return 0;
#else
	OM_uint32 minor;
	gss_buffer_set_t set = GSS_C_NO_BUFFER_SET;
	if (GSS_ERROR(gss_inquire_cred_by_oid(&minor, cred, GSS_KRB5_GET_CRED_IMPERSONATOR, &set)))
		return 0;
	int proxy = set != GSS_C_NO_BUFFER_SET && set->count > 0 && set->elements[0].length > 0;
	gss_release_buffer_set(&minor, &set);
	return proxy;
#endif
}

OM_uint32 import_name(OM_uint32 *minor, const char *s, int hostbased, gss_name_t *out) {
	gss_buffer_desc b = { strlen(s), (void *)s };
	gss_OID type = hostbased ? GSS_C_NT_HOSTBASED_SERVICE : (gss_OID)GSS_KRB5_NT_PRINCIPAL_NAME;
	return gss_import_name(minor, &b, type, out);
}

// principal_name writes into out the initiator's principal in the escaped
// form krb5_unparse_name gives ("svc\/admin@R" for a one-component name
// that holds a "/"), so that two principals never share a string; the
// caller reads it from out->value + *skip. MIT's gss_display_name gives
// that form. Heimdal's unparses for display, without escapes, so there the
// name comes from gss_export_name, whose RFC 2743 section 3.2 token ends in
// the escaped name: 04 01, a 2-byte OID length, the OID, a 4-byte name
// length, the name.
OM_uint32 principal_name(OM_uint32 *minor, gss_name_t name, gss_buffer_t out, size_t *skip) {
	*skip = 0;
#if !NEGOTIATE_HEIMDAL
	return gss_display_name(minor, name, out, NULL);
#else
	OM_uint32 major = gss_export_name(minor, name, out);
	if (GSS_ERROR(major)) return major;
	const unsigned char *b = out->value;
	size_t n = out->length;
	if (n >= 4 && b[0] == 0x04 && b[1] == 0x01) {
		size_t oid = (size_t)b[2] << 8 | b[3];
		if (n >= 4 + oid + 4) {
			const unsigned char *l = b + 4 + oid;
			size_t len = (size_t)l[0] << 24 | (size_t)l[1] << 16 | (size_t)l[2] << 8 | l[3];
			if (len == n - (4 + oid + 4)) {
				*skip = 4 + oid + 4;
				return GSS_S_COMPLETE;
			}
		}
	}
	OM_uint32 tmp;
	gss_release_buffer(&tmp, out);
	*minor = 0;
	return GSS_S_BAD_NAME;
#endif
}

// name_attribute gets one value of the name attribute attr (RFC 6680) of
// name: the first when *more is -1, and on return *more is 0 after the
// last. authenticated says whether the library verified the value (for a
// PAC: its signatures with the service key and the KDC's).
OM_uint32 name_attribute(OM_uint32 *minor, gss_name_t name, const char *attr,
		int *authenticated, gss_buffer_t value, int *more) {
	gss_buffer_desc a = { strlen(attr), (void *)attr };
	int complete = 0;
	return gss_get_name_attribute(minor, name, &a, authenticated, &complete, value, GSS_C_NO_BUFFER, more);
}

// accept_token runs gss_accept_sec_context on tok. When proxy is not NULL
// and the call completes with a delegated credential handle, it also says
// whether that is a proxy credential, which MIT makes for an acceptor whose
// credential can initiate too (and flags it GSS_C_DELEG_FLAG, as if the
// client had delegated), and reads into tkt_flags the flags of the
// client's ticket while the context still exists (0 if they cannot be
// read): whether it is forwardable, as S4U2Proxy needs.
OM_uint32 accept_token(OM_uint32 *minor, gss_ctx_id_t *ctx, gss_cred_id_t cred,
		void *tok, size_t len, gss_name_t *src, gss_OID *mech, gss_buffer_t out,
		OM_uint32 *flags, OM_uint32 *time_rec, gss_cred_id_t *deleg,
		int *proxy, OM_uint32 *tkt_flags) {
	gss_buffer_desc in = { len, tok };
	OM_uint32 major = gss_accept_sec_context(minor, ctx, cred, &in, GSS_C_NO_CHANNEL_BINDINGS,
		src, mech, out, flags, time_rec, deleg);
	if (proxy) {
		*proxy = 0;
		*tkt_flags = 0;
		if (major == GSS_S_COMPLETE && *deleg != GSS_C_NO_CREDENTIAL) {
			*proxy = is_proxy(*deleg);
#if NEGOTIATE_HEIMDAL
			OM_uint32 f = 0;
#else
			krb5_flags f = 0;
#endif
			OM_uint32 tmp;
			if (!GSS_ERROR(gss_krb5_get_tkt_flags(&tmp, *ctx, &f)))
				*tkt_flags = (OM_uint32)f;
		}
	}
	return major;
}

OM_uint32 init_token(OM_uint32 *minor, gss_cred_id_t cred, gss_ctx_id_t *ctx,
		gss_name_t target, void *mech, size_t mechlen, OM_uint32 req_flags, void *in, size_t len,
		gss_buffer_t out) {
	gss_buffer_desc input = { len, in };
	gss_OID_desc m = { mechlen, mech };
	return gss_init_sec_context(minor, cred, ctx, target, &m, req_flags, 0,
		GSS_C_NO_CHANNEL_BINDINGS, len ? &input : GSS_C_NO_BUFFER, NULL, out, NULL, NULL);
}

OM_uint32 verify_mic(OM_uint32 *minor, gss_ctx_id_t ctx, void *msg, size_t msglen,
		void *mic, size_t miclen) {
	gss_buffer_desc m = { msglen, msg }, t = { miclen, mic };
	return gss_verify_mic(minor, ctx, &m, &t, NULL);
}

// hold_config returns a krb5 context, or NULL, that the caller keeps for as
// long as it accepts tokens. MIT's GSS-API calls each build and free a krb5
// context of their own; while another context holds the parsed krb5.conf,
// building one costs a stat instead of a read and parse (about a quarter of
// an accept, measured here).
krb5_context hold_config(void) {
	krb5_context ctx = NULL;
	if (krb5_init_context(&ctx)) return NULL;
	return ctx;
}

void release_config(krb5_context ctx) {
	if (ctx) krb5_free_context(ctx);
}

// default_realm returns krb5.conf's default realm, to be freed with free,
// or NULL.
char *default_realm(void) {
	krb5_context ctx;
	if (krb5_init_context(&ctx)) return NULL;
	char *realm = NULL, *copy = NULL;
	if (!krb5_get_default_realm(ctx, &realm)) {
		copy = strdup(realm);
		krb5_free_default_realm(ctx, realm);
	}
	krb5_free_context(ctx);
	return copy;
}

// keytab_probe says what keytab (NULL: the default) holds for principal
// and a ticket of key version kvno and encryption type enctype. It
// explains a failed accept; it is not on the success path.
enum keytab_keys keytab_probe(const char *keytab, const char *principal, int kvno, int enctype) {
	krb5_context ctx;
	if (krb5_init_context(&ctx)) return KEYTAB_NO_KEY;
	krb5_keytab kt = NULL;
	krb5_principal p = NULL;
	enum keytab_keys result = KEYTAB_NO_KEY;
	krb5_error_code code = keytab ? krb5_kt_resolve(ctx, keytab, &kt) : krb5_kt_default(ctx, &kt);
	if (!code) code = krb5_parse_name(ctx, principal, &p);
	krb5_keytab_entry entry;
	if (!code && !krb5_kt_get_entry(ctx, kt, p, 0, 0, &entry)) {
		krb5_kt_free_entry(ctx, &entry);
		result = KEYTAB_OTHER_VERSIONS;
		if (!krb5_kt_get_entry(ctx, kt, p, kvno, 0, &entry)) {
			krb5_kt_free_entry(ctx, &entry);
			result = KEYTAB_OTHER_ENCTYPES;
			if (!krb5_kt_get_entry(ctx, kt, p, kvno, enctype, &entry)) {
				krb5_kt_free_entry(ctx, &entry);
				result = KEYTAB_HAS_KEY;
			}
		}
	}
	if (p) krb5_free_principal(ctx, p);
	if (kt) krb5_kt_close(ctx, kt);
	krb5_free_context(ctx);
	return result;
}

// keytab_list returns the distinct principals of keytab (NULL: the
// default) with the highest key version of each, one "principal kvno" a
// line, in a string to be freed with free; NULL when the keytab cannot be
// read. It explains a failed start-up; it is not on the request path.
char *keytab_list(const char *keytab) {
	krb5_context ctx;
	if (krb5_init_context(&ctx)) return NULL;
	krb5_keytab kt = NULL;
	krb5_kt_cursor cursor;
	char *out = NULL;
	size_t len = 0;
	krb5_error_code code = keytab ? krb5_kt_resolve(ctx, keytab, &kt) : krb5_kt_default(ctx, &kt);
	if (!code) code = krb5_kt_start_seq_get(ctx, kt, &cursor);
	if (code) goto done;
	out = calloc(1, 1);
	krb5_keytab_entry entry;
	while (out && !krb5_kt_next_entry(ctx, kt, &entry, &cursor)) {
		char *name = NULL;
		if (!krb5_unparse_name(ctx, entry.principal, &name)) {
			char line[1024];
			int n = snprintf(line, sizeof line, "%s %d\n", name, (int)entry.vno);
			if (n > 0 && (size_t)n < sizeof line) {
				char *grown = realloc(out, len + (size_t)n + 1);
				if (grown) {
					memcpy(grown + len, line, (size_t)n + 1);
					out = grown;
					len += (size_t)n;
				}
			}
#if NEGOTIATE_HEIMDAL
			krb5_xfree(name); // Heimdal deprecates krb5_free_unparsed_name
#else
			krb5_free_unparsed_name(ctx, name);
#endif
		}
		krb5_kt_free_entry(ctx, &entry);
	}
	krb5_kt_end_seq_get(ctx, kt, &cursor);
done:
	if (kt) krb5_kt_close(ctx, kt);
	krb5_free_context(ctx);
	return out;
}

// default_keytab_name returns the name of the library's default keytab
// (KRB5_KTNAME, else krb5.conf's default_keytab_name), to be freed with
// free, or NULL.
char *default_keytab_name(void) {
	krb5_context ctx;
	if (krb5_init_context(&ctx)) return NULL;
	char name[1024];
	char *copy = NULL;
	if (!krb5_kt_default_name(ctx, name, sizeof name)) copy = strdup(name);
	krb5_free_context(ctx);
	return copy;
}

// destroy_ccache destroys the credential cache named ccache, and with it
// the tickets it holds (a MEMORY: cache lives until it is destroyed). It
// returns the krb5 error code, 0 on success.
int destroy_ccache(const char *ccache) {
	krb5_context ctx;
	krb5_error_code code = krb5_init_context(&ctx);
	if (code) return code;
	krb5_ccache cc;
	code = krb5_cc_resolve(ctx, ccache, &cc);
	if (!code) code = krb5_cc_destroy(ctx, cc);
	krb5_free_context(ctx);
	return code;
}

// cred_lifetime reports how long cred has left: for a credential that
// initiates, its TGT's.
OM_uint32 cred_lifetime(OM_uint32 *minor, gss_cred_id_t cred, OM_uint32 *lifetime) {
	return gss_inquire_cred(minor, cred, NULL, lifetime, NULL, NULL);
}

#if !NEGOTIATE_HEIMDAL
#include <profile.h>

// clock_skew returns the clockskew setting of krb5.conf in seconds:
// how far an authenticator's time may be from the acceptor's. MIT's default
// is 300.
int clock_skew(void) {
	krb5_context ctx;
	if (krb5_init_context(&ctx)) return DEFAULT_CLOCKSKEW;
	int skew = DEFAULT_CLOCKSKEW;
	profile_t profile;
	if (!krb5_get_profile(ctx, &profile)) {
		profile_get_integer(profile, "libdefaults", "clockskew", NULL, DEFAULT_CLOCKSKEW, &skew);
		profile_release(profile);
	}
	krb5_free_context(ctx);
	return skew;
}

// acquire_acceptor acquires acceptor credentials for name, a principal
// ("HTTP/host@R") or, when hostbased, a service ("HTTP@host"), or for any
// key in the keytab when name is NULL. keytab and rcache may be NULL for the
// library defaults.
OM_uint32 acquire_acceptor(OM_uint32 *minor, const char *name, int hostbased,
		const char *keytab, const char *rcache, gss_cred_id_t *out) {
	gss_key_value_element_desc kv[2];
	gss_key_value_set_desc store = { 0, kv };
	if (keytab) kv[store.count++] = (gss_key_value_element_desc){ "keytab", keytab };
	if (rcache) kv[store.count++] = (gss_key_value_element_desc){ "rcache", rcache };
	gss_name_t gname = GSS_C_NO_NAME;
	if (name) {
		OM_uint32 major = import_name(minor, name, hostbased, &gname);
		if (GSS_ERROR(major)) return major;
	}
	OM_uint32 major = gss_acquire_cred_from(minor, gname, GSS_C_INDEFINITE, GSS_C_NO_OID_SET,
		GSS_C_ACCEPT, &store, out, NULL, NULL);
	OM_uint32 tmp;
	if (gname != GSS_C_NO_NAME) gss_release_name(&tmp, &gname);
	return major;
}

OM_uint32 acquire_initiator(OM_uint32 *minor, const char *ccache, void *mech, size_t mechlen, gss_cred_id_t *out) {
	gss_key_value_element_desc kv = { "ccache", ccache };
	gss_key_value_set_desc store = { ccache ? 1 : 0, &kv };
	gss_OID_desc m = { mechlen, mech };
	gss_OID_set_desc mechs = { 1, &m };
	return gss_acquire_cred_from(minor, GSS_C_NO_NAME, GSS_C_INDEFINITE,
		&mechs, GSS_C_INITIATE, &store, out, NULL, NULL);
}

// store_initiator writes the initiator elements of cred into ccache,
// replacing its contents.
OM_uint32 store_initiator(OM_uint32 *minor, gss_cred_id_t cred, const char *ccache) {
	gss_key_value_element_desc kv = { "ccache", ccache };
	gss_key_value_set_desc store = { 1, &kv };
	return gss_store_cred_into(minor, cred, GSS_C_INITIATE, GSS_C_NO_OID, 1, 0, &store, NULL, NULL);
}

// acquire_proxy acquires the credential of a service that does S4U
// (MS-SFU): one credential for both accepting (the keys of keytab) and
// initiating, as name, with a TGT that the library gets from the same
// keytab as a client keytab and keeps, and renews, in ccache, which should
// be a MEMORY: cache of this credential alone. With such a credential,
// gss_accept_sec_context hands back a proxy credential for S4U2Proxy, and
// gss_acquire_cred_impersonate_name does S4U2Self. name is a principal, or
// NULL: then the credential accepts any key of the keytab and initiates as
// the keytab's first principal.
OM_uint32 acquire_proxy(OM_uint32 *minor, const char *name, const char *keytab,
		const char *ccache, const char *rcache, gss_cred_id_t *out) {
	gss_key_value_element_desc kv[4] = {
		{ "keytab", keytab }, { "client_keytab", keytab }, { "ccache", ccache },
	};
	gss_key_value_set_desc store = { 3, kv };
	if (rcache) kv[store.count++] = (gss_key_value_element_desc){ "rcache", rcache };
	gss_name_t gname = GSS_C_NO_NAME;
	if (name) {
		OM_uint32 major = import_name(minor, name, 0, &gname);
		if (GSS_ERROR(major)) return major;
	}
	OM_uint32 major = gss_acquire_cred_from(minor, gname, GSS_C_INDEFINITE, GSS_C_NO_OID_SET,
		GSS_C_BOTH, &store, out, NULL, NULL);
	OM_uint32 tmp;
	if (gname != GSS_C_NO_NAME) gss_release_name(&tmp, &gname);
	return major;
}

// impersonate gets, with cred (from acquire_proxy), a credential for user
// (a principal) through S4U2Self: a ticket from user to cred's own
// principal, which S4U2Proxy then takes as evidence.
OM_uint32 impersonate(OM_uint32 *minor, gss_cred_id_t cred, const char *user, gss_cred_id_t *out) {
	gss_name_t name = GSS_C_NO_NAME;
	OM_uint32 major = import_name(minor, user, 0, &name);
	if (GSS_ERROR(major)) return major;
	major = gss_acquire_cred_impersonate_name(minor, cred, name, GSS_C_INDEFINITE,
		GSS_C_NO_OID_SET, GSS_C_INITIATE, out, NULL, NULL);
	OM_uint32 tmp;
	gss_release_name(&tmp, &name);
	return major;
}

// evidence_flags reads the flags of the ticket that a proxy credential
// holds for its client: the one ticket of the credential's client that is
// no TGT and no configuration entry. It copies the credential into a
// MEMORY: cache of its own, reads it and destroys it. It is called once per
// S4U2Self, not per request.
OM_uint32 evidence_flags(OM_uint32 *minor, gss_cred_id_t cred, OM_uint32 *flags) {
	*flags = 0;
	krb5_context ctx;
	krb5_error_code code = krb5_init_context(&ctx);
	if (code) {
		*minor = (OM_uint32)code;
		return GSS_S_FAILURE;
	}
	krb5_ccache cc = NULL;
	krb5_principal client = NULL;
	OM_uint32 major = GSS_S_FAILURE;
	code = krb5_cc_new_unique(ctx, "MEMORY", NULL, &cc);
	if (code) goto done;
	// gss_krb5_copy_ccache wants an initialized cache; gss_store_cred_into
	// initializes it with the credential's own principal.
	char name[256];
	if (snprintf(name, sizeof name, "MEMORY:%s", krb5_cc_get_name(ctx, cc)) >= (int)sizeof name) goto done;
	gss_key_value_element_desc kv = { "ccache", name };
	gss_key_value_set_desc store = { 1, &kv };
	major = gss_store_cred_into(minor, cred, GSS_C_INITIATE, GSS_C_NO_OID, 1, 0, &store, NULL, NULL);
	if (GSS_ERROR(major)) goto done;
	major = GSS_S_FAILURE;
	code = krb5_cc_get_principal(ctx, cc, &client);
	krb5_cc_cursor cursor;
	if (!code) code = krb5_cc_start_seq_get(ctx, cc, &cursor);
	if (code) goto done;
	krb5_creds creds;
	while (krb5_cc_next_cred(ctx, cc, &cursor, &creds) == 0) {
		const krb5_data *first = krb5_princ_component(ctx, creds.server, 0);
		int tgt = krb5_princ_size(ctx, creds.server) == 2 && first->length == 6 &&
			memcmp(first->data, "krbtgt", 6) == 0;
		if (major != GSS_S_COMPLETE && !tgt && !krb5_is_config_principal(ctx, creds.server) &&
				krb5_principal_compare(ctx, creds.client, client)) {
			*flags = creds.ticket_flags;
			major = GSS_S_COMPLETE;
		}
		krb5_free_cred_contents(ctx, &creds);
	}
	krb5_cc_end_seq_get(ctx, cc, &cursor);
	code = 0;
done:
	if (major != GSS_S_COMPLETE && code) *minor = (OM_uint32)code;
	else if (major != GSS_S_COMPLETE) *minor = 0;
	if (client) krb5_free_principal(ctx, client);
	if (cc) krb5_cc_destroy(ctx, cc);
	krb5_free_context(ctx);
	return major;
}

#else // Heimdal

// clock_skew returns the clockskew setting of krb5.conf in seconds, as
// Heimdal reads it (its default is also 300).
int clock_skew(void) {
	krb5_context ctx;
	if (krb5_init_context(&ctx)) return DEFAULT_CLOCKSKEW;
	int skew = (int)krb5_get_max_time_skew(ctx);
	krb5_free_context(ctx);
	return skew;
}

// krb5_failure reports a krb5 library error as GSS_S_FAILURE with the krb5
// code as the minor status, as the GSS-API mechanism itself would.
static OM_uint32 krb5_failure(OM_uint32 *minor, krb5_error_code code) {
	*minor = (OM_uint32)code;
	return GSS_S_FAILURE;
}

OM_uint32 acquire_acceptor(OM_uint32 *minor, const char *name, int hostbased,
		const char *keytab, const char *rcache, gss_cred_id_t *out) {
	(void)rcache; // refused in Go: Heimdal's acceptor has no replay-cache option
	krb5_context ctx;
	krb5_error_code code = krb5_init_context(&ctx);
	if (code) return krb5_failure(minor, code);
	krb5_keytab kt = NULL;
	krb5_principal p = NULL;
	if (keytab) code = krb5_kt_resolve(ctx, keytab, &kt);
	else code = krb5_kt_default(ctx, &kt);
	if (!code && name) {
		if (hostbased) {
			// "service@host" names service/host in the default realm.
			char *s = strdup(name), *at = strchr(s, '@');
			if (at) *at = '/';
			code = krb5_parse_name(ctx, s, &p);
			free(s);
		} else {
			code = krb5_parse_name(ctx, name, &p);
		}
	}
	krb5_keytab_entry entry;
	if (!code && p) {
		// Fail now, as MIT does, if the keytab has no key for the name...
		code = krb5_kt_get_entry(ctx, kt, p, 0, 0, &entry);
		if (!code) krb5_kt_free_entry(ctx, &entry);
	} else if (!code) {
		// ...or no key at all.
		krb5_kt_cursor cursor;
		code = krb5_kt_start_seq_get(ctx, kt, &cursor);
		if (!code) {
			code = krb5_kt_next_entry(ctx, kt, &entry, &cursor);
			if (!code) krb5_kt_free_entry(ctx, &entry);
			krb5_kt_end_seq_get(ctx, kt, &cursor);
		}
	}
	OM_uint32 major = code ? krb5_failure(minor, code)
		: gss_krb5_import_cred(minor, NULL, p, kt, out);
	if (p) krb5_free_principal(ctx, p);
	if (kt) krb5_kt_close(ctx, kt);
	krb5_free_context(ctx);
	return major;
}

OM_uint32 acquire_initiator(OM_uint32 *minor, const char *ccache, void *mech, size_t mechlen, gss_cred_id_t *out) {
	(void)mech, (void)mechlen; // gss_krb5_import_cred makes a Kerberos credential
	krb5_context ctx;
	krb5_error_code code = krb5_init_context(&ctx);
	if (code) return krb5_failure(minor, code);
	krb5_ccache cc;
	code = ccache ? krb5_cc_resolve(ctx, ccache, &cc) : krb5_cc_default(ctx, &cc);
	OM_uint32 major = code ? krb5_failure(minor, code)
		: gss_krb5_import_cred(minor, cc, NULL, NULL, out);
	if (!code) krb5_cc_close(ctx, cc);
	krb5_free_context(ctx);
	return major;
}

OM_uint32 store_initiator(OM_uint32 *minor, gss_cred_id_t cred, const char *ccache) {
	krb5_context ctx;
	krb5_error_code code = krb5_init_context(&ctx);
	if (code) return krb5_failure(minor, code);
	krb5_ccache cc;
	code = krb5_cc_resolve(ctx, ccache, &cc);
	OM_uint32 major = code ? krb5_failure(minor, code) : gss_krb5_copy_ccache(minor, cred, cc);
	if (!code) krb5_cc_close(ctx, cc);
	krb5_free_context(ctx);
	return major;
}

// Heimdal 7's GSS-API has no S4U: no gss_acquire_cred_impersonate_name,
// and gss_accept_sec_context makes no proxy credential.
OM_uint32 acquire_proxy(OM_uint32 *minor, const char *name, const char *keytab,
		const char *ccache, const char *rcache, gss_cred_id_t *out) {
	(void)name, (void)keytab, (void)ccache, (void)rcache, (void)out;
	*minor = 0;
	return GSS_S_UNAVAILABLE;
}

OM_uint32 impersonate(OM_uint32 *minor, gss_cred_id_t cred, const char *user, gss_cred_id_t *out) {
	(void)cred, (void)user, (void)out;
	*minor = 0;
	return GSS_S_UNAVAILABLE;
}

OM_uint32 evidence_flags(OM_uint32 *minor, gss_cred_id_t cred, OM_uint32 *flags) {
	(void)cred;
	*flags = 0;
	*minor = 0;
	return GSS_S_UNAVAILABLE;
}

#endif
