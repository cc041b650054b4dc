/* gssattr KEYTAB SERVICE OUTDIR: as the client of the default ccache
 * (KRB5CCNAME), start a Kerberos GSS-API context to SERVICE (host-based,
 * "HTTP@localhost"); accept it with KEYTAB; print each name attribute MIT
 * krb5 gives the initiator's name, with its authenticated flag; write the
 * attribute "urn:mspac:" (the whole PAC) to OUTDIR/whole.pac and
 * "urn:mspac:logon-info" to OUTDIR/logon-info.bin. Package pac's live test
 * (samba_test.go) builds and runs it. */
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(OM_uint32 maj, OM_uint32 min, const char *what) {
    OM_uint32 m2, ctx = 0;
    gss_buffer_desc s;
    if (!GSS_ERROR(maj))
        return;
    gss_display_status(&m2, maj, GSS_C_GSS_CODE, GSS_C_NO_OID, &ctx, &s);
    fprintf(stderr, "gssattr: %s: %.*s", what, (int)s.length, (char *)s.value);
    ctx = 0;
    gss_display_status(&m2, min, GSS_C_MECH_CODE, GSS_C_NO_OID, &ctx, &s);
    fprintf(stderr, ": %.*s\n", (int)s.length, (char *)s.value);
    exit(1);
}

static void save(const char *dir, const char *name, gss_buffer_t v) {
    char path[4096];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (!f || fwrite(v->value, 1, v->length, f) != v->length || fclose(f)) {
        perror(path);
        exit(1);
    }
}

int main(int argc, char **argv) {
    OM_uint32 maj, min;
    gss_buffer_desc nb, tok = GSS_C_EMPTY_BUFFER, out = GSS_C_EMPTY_BUFFER;
    gss_name_t target, src;
    gss_ctx_id_t ic = GSS_C_NO_CONTEXT, ac = GSS_C_NO_CONTEXT;
    gss_cred_id_t acred;
    gss_key_value_element_desc el;
    gss_key_value_set_desc store;
    gss_buffer_set_t attrs = GSS_C_NO_BUFFER_SET;
    gss_OID mech;
    int mn;
    size_t i;

    if (argc != 4) {
        fprintf(stderr, "usage: gssattr KEYTAB SERVICE OUTDIR\n");
        return 2;
    }
    nb.value = argv[2];
    nb.length = strlen(argv[2]);
    maj = gss_import_name(&min, &nb, GSS_C_NT_HOSTBASED_SERVICE, &target);
    check(maj, min, "gss_import_name");
    maj = gss_init_sec_context(&min, GSS_C_NO_CREDENTIAL, &ic, target, (gss_OID)gss_mech_krb5, 0, 0,
                               NULL, GSS_C_NO_BUFFER, NULL, &tok, NULL, NULL);
    check(maj, min, "gss_init_sec_context");
    el.key = "keytab";
    el.value = argv[1];
    store.count = 1;
    store.elements = &el;
    maj = gss_acquire_cred_from(&min, GSS_C_NO_NAME, 0, GSS_C_NO_OID_SET, GSS_C_ACCEPT, &store, &acred, NULL, NULL);
    check(maj, min, "gss_acquire_cred_from");
    maj = gss_accept_sec_context(&min, &ac, acred, &tok, GSS_C_NO_CHANNEL_BINDINGS, &src, NULL, &out, NULL, NULL, NULL);
    check(maj, min, "gss_accept_sec_context");
    maj = gss_inquire_name(&min, src, &mn, &mech, &attrs);
    check(maj, min, "gss_inquire_name");
    for (i = 0; attrs != GSS_C_NO_BUFFER_SET && i < attrs->count; i++) {
        gss_buffer_t a = &attrs->elements[i];
        gss_buffer_desc val = GSS_C_EMPTY_BUFFER, disp = GSS_C_EMPTY_BUFFER;
        int auth = 0, complete = 0, more = -1;
        maj = gss_get_name_attribute(&min, src, a, &auth, &complete, &val, &disp, &more);
        check(maj, min, "gss_get_name_attribute");
        printf("%.*s authenticated=%d complete=%d bytes=%zu\n", (int)a->length, (char *)a->value, auth, complete, val.length);
        if (a->length == 10 && !memcmp(a->value, "urn:mspac:", 10))
            save(argv[3], "whole.pac", &val);
        if (a->length == 20 && !memcmp(a->value, "urn:mspac:logon-info", 20))
            save(argv[3], "logon-info.bin", &val);
        gss_release_buffer(&min, &val);
        gss_release_buffer(&min, &disp);
    }
    return 0;
}
