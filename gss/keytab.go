//go:build cgo

package gss

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// KeytabPrincipal is one service principal a keytab holds keys for.
type KeytabPrincipal struct {
	Principal string // "HTTP/www.example.com@EXAMPLE.COM"
	KVNO      int    // the highest key version the keytab holds for it
}

// String returns "HTTP/www.example.com@EXAMPLE.COM (kvno 3)".
func (p KeytabPrincipal) String() string { return fmt.Sprintf("%s (kvno %d)", p.Principal, p.KVNO) }

// KeytabPrincipals lists the principals the keytab at path holds keys for
// ("" for the library's default keytab), each once, in the keytab's
// order. It is for start-up messages and diagnostics: an operator who
// sees which names a keytab holds knows which WithHostname or
// WithPrincipal to give.
func KeytabPrincipals(path string) ([]KeytabPrincipal, error) {
	lines, ok := keytabEntries(path)
	if !ok {
		where := path
		if where == "" {
			where = "the default keytab"
		}
		return nil, fmt.Errorf("gss: cannot read %s", where)
	}
	var out []KeytabPrincipal
	for _, l := range lines {
		name, v, ok := strings.Cut(l, " ")
		kvno, err := strconv.Atoi(v)
		if !ok || err != nil {
			continue
		}
		if i := slices.IndexFunc(out, func(p KeytabPrincipal) bool { return p.Principal == name }); i >= 0 {
			out[i].KVNO = max(out[i].KVNO, kvno)
			continue
		}
		out = append(out, KeytabPrincipal{name, kvno})
	}
	return out, nil
}

// describeKeytab says what a keytab holds, for an error that it does not
// hold what the acceptor was asked for: "it holds HTTP/a@R (kvno 2), ...".
func describeKeytab(path string) string {
	ps, err := KeytabPrincipals(path)
	switch {
	case err != nil:
		return "it cannot be read"
	case len(ps) == 0:
		return "it holds no keys"
	}
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.String()
	}
	return "it holds " + strings.Join(names, ", ")
}
