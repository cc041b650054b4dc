// The C half of capi_cred.go: keytabs and credentials, where MIT and
// Heimdal differ most.
//
// MIT has the credential-store extension (gss_acquire_cred_from,
// gss_store_cred_into). Heimdal 7 has not; there the keytab and the caches
// are named through krb5 handles passed to gss_krb5_import_cred and
// gss_krb5_copy_ccache, which both libraries provide and which serialize the
// names, so no handle outlives a call. Neither way touches KRB5_KTNAME or
// KRB5CCNAME.

#include <stdio.h>

#include "capi.h"

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
