package client

import (
	"encoding/base64"
	"strings"
)

// A WWW-Authenticate header holds one challenge or a comma-separated list
// of them (RFC 9110 section 11.6.1). A Negotiate challenge is the scheme
// alone (the server asks for a token) or the scheme and a token68, the
// server's reply (RFC 4559 section 5); a token68 holds no comma.

// negotiateParams returns the parameter of each Negotiate challenge among
// WWW-Authenticate values, "" for a bare "Negotiate", and nil when there is
// none.
func negotiateParams(values []string) []string {
	var params []string
	for _, v := range values {
		for _, c := range strings.Split(v, ",") {
			scheme, rest, _ := strings.Cut(strings.TrimSpace(c), " ")
			if strings.EqualFold(scheme, "Negotiate") {
				params = append(params, strings.TrimSpace(rest))
			}
		}
	}
	return params
}

// offersNegotiate reports whether WWW-Authenticate values hold a Negotiate
// challenge, with a token or without.
func offersNegotiate(values []string) bool { return negotiateParams(values) != nil }

// serverToken returns the token of the first Negotiate challenge that has
// one. sent reports that there was one; ok that it is standard base64 (with
// padding) of at least one byte.
func serverToken(values []string) (token []byte, sent, ok bool) {
	for _, p := range negotiateParams(values) {
		if p == "" {
			continue
		}
		tok, err := base64.StdEncoding.Strict().DecodeString(p)
		return tok, true, err == nil && len(tok) > 0
	}
	return nil, false, false
}
