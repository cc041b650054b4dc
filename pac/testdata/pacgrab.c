/* pacgrab CCACHE SERVICE KEYTAB OUT: decrypt the ticket for SERVICE in
 * CCACHE with KEYTAB, write its PAC to OUT, and report whether MIT's
 * krb5_pac_verify accepts its server signature with the service key. */
#include <krb5.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

static void die(krb5_context c, krb5_error_code r, const char *what) {
    const char *m = krb5_get_error_message(c, r);
    fprintf(stderr, "pacgrab: %s: %s\n", what, m);
    exit(1);
}

int main(int argc, char **argv) {
    krb5_context c; krb5_ccache cc; krb5_keytab kt; krb5_principal srv;
    krb5_cc_cursor cur; krb5_creds cr; krb5_ticket *t = NULL; krb5_error_code r;
    if (argc != 5) { fprintf(stderr, "usage: pacgrab CCACHE SERVICE KEYTAB OUT\n"); return 2; }
    if ((r = krb5_init_context(&c))) return 1;
    if ((r = krb5_cc_resolve(c, argv[1], &cc))) die(c, r, "cc_resolve");
    if ((r = krb5_parse_name(c, argv[2], &srv))) die(c, r, "parse_name");
    if ((r = krb5_kt_resolve(c, argv[3], &kt))) die(c, r, "kt_resolve");
    if ((r = krb5_cc_start_seq_get(c, cc, &cur))) die(c, r, "start_seq_get");
    int found = 0;
    while (!krb5_cc_next_cred(c, cc, &cur, &cr)) {
        if (krb5_principal_compare(c, cr.server, srv)) { found = 1; break; }
        krb5_free_cred_contents(c, &cr);
    }
    if (!found) { fprintf(stderr, "pacgrab: no ticket for %s\n", argv[2]); return 1; }
    if ((r = krb5_decode_ticket(&cr.ticket, &t))) die(c, r, "decode_ticket");
    if ((r = krb5_server_decrypt_ticket_keytab(c, kt, t))) die(c, r, "decrypt");
    krb5_authdata **ad = NULL;
    if ((r = krb5_find_authdata(c, t->enc_part2->authorization_data, NULL, KRB5_AUTHDATA_WIN2K_PAC, &ad)) || !ad || !ad[0])
        die(c, r ? r : KRB5KRB_AP_ERR_MODIFIED, "no PAC in the ticket");
    FILE *f = fopen(argv[4], "wb");
    fwrite(ad[0]->contents, 1, ad[0]->length, f);
    fclose(f);
    char *cname; krb5_unparse_name(c, t->enc_part2->client, &cname);
    printf("client %s, PAC %u bytes\n", cname, ad[0]->length);
    krb5_pac pac;
    if ((r = krb5_pac_parse(c, ad[0]->contents, ad[0]->length, &pac))) die(c, r, "pac_parse");
    krb5_keytab_entry e;
    if ((r = krb5_kt_get_entry(c, kt, t->server, t->enc_part.kvno, t->enc_part.enctype, &e))) die(c, r, "kt_get_entry");
    r = krb5_pac_verify(c, pac, t->enc_part2->times.authtime, t->enc_part2->client, &e.key, NULL);
    printf("krb5_pac_verify (server key %d): %s\n", e.key.enctype, r ? krb5_get_error_message(c, r) : "ok");
    krb5_keyblock bad = e.key; unsigned char z[64] = {0}; bad.contents = z;
    r = krb5_pac_verify(c, pac, t->enc_part2->times.authtime, t->enc_part2->client, &bad, NULL);
    printf("krb5_pac_verify with a wrong key: %s\n", r ? krb5_get_error_message(c, r) : "ok (!)");
    return 0;
}
