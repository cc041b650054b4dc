// The C half of capi.go: the helpers of capi.h for names, contexts and
// the library's configuration. capi_cred.c has those for keytabs and
// credentials.

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

#endif
