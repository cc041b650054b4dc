package middleware

import (
	"bytes"
	"encoding/base64"
	"strings"
)

// scheme is the HTTP authentication scheme of RFC 4559 section 4.
const scheme = "Negotiate"

// strictBase64 is standard, padded base64 that also rejects non-zero padding
// bits, so every token has exactly one encoding. It is built once:
// [base64.Encoding.Strict] allocates a copy on every call.
var strictBase64 = base64.StdEncoding.Strict()

// ntlmSignature opens every NTLMSSP message ([MS-NLMP] section 2.2).
var ntlmSignature = []byte("NTLMSSP\x00")

// parseAuthorization finds the Negotiate credentials among the values of the
// Authorization header and decodes their token.
//
// The first value whose scheme is Negotiate counts, whatever follows it. It
// returns [ErrNoCredentials] when there is no such value or it carries no
// token, [ErrTokenTooLarge] when the token is over maxLen base64 characters,
// [ErrBadBase64] when it is not strict standard base64, and [ErrNTLMOffered]
// when it decodes to an NTLMSSP message. A nil error comes with a non-empty
// token.
func parseAuthorization(values []string, maxLen int) ([]byte, error) {
	param, ok := negotiateParam(values)
	if !ok {
		return nil, ErrNoCredentials
	}
	return decodeToken(param, maxLen)
}

// negotiateParam returns the token68 of the first Negotiate value, and false
// when there is none or it is empty.
func negotiateParam(values []string) (string, bool) {
	for _, v := range values {
		s, param := splitCredentials(v)
		// Negotiate holds no letter with a non-ASCII case fold (such as
		// the Kelvin sign for k), so EqualFold matches ASCII only here.
		if strings.EqualFold(s, scheme) {
			return param, param != ""
		}
	}
	return "", false
}

// splitCredentials splits one credentials value (RFC 9110 section 11.4) into
// its auth-scheme and what follows, trimming spaces and tabs around both.
func splitCredentials(v string) (authScheme, param string) {
	v = strings.Trim(v, " \t")
	i := strings.IndexAny(v, " \t")
	if i < 0 {
		return v, ""
	}
	return v[:i], strings.TrimLeft(v[i+1:], " \t")
}

// decodeToken checks the size of param and decodes it. The size is checked
// first so that an oversized token costs no decoding. Go's decoder skips CR
// and LF, so those are rejected here.
func decodeToken(param string, maxLen int) ([]byte, error) {
	if len(param) > maxLen {
		return nil, ErrTokenTooLarge
	}
	if strings.ContainsAny(param, "\r\n") {
		return nil, ErrBadBase64
	}
	tok, err := strictBase64.DecodeString(param)
	if err != nil || len(tok) == 0 {
		return nil, ErrBadBase64
	}
	if bytes.HasPrefix(tok, ntlmSignature) {
		return nil, ErrNTLMOffered
	}
	return tok, nil
}

// negotiateHeader returns the WWW-Authenticate value that carries the
// acceptor's output token (RFC 4559 section 5).
func negotiateHeader(tok []byte) string {
	// A Kerberos AP-REP fits the stack buffer, so the string is the only
	// allocation.
	var buf [512]byte
	b := append(buf[:0], scheme+" "...)
	b = base64.StdEncoding.AppendEncode(b, tok)
	return string(b)
}
