package middleware

import (
	"strconv"
	"strings"
)

// maxSubAuthorities is the most sub-authorities a SID has ([MS-DTYP]
// 2.4.2).
const maxSubAuthorities = 15

// isSID reports whether s is a security identifier spelled as Windows
// writes it ([MS-DTYP] 2.4.2.1), and as package negotiate's PAC holds
// them: "S-1-", the identifier authority in decimal below 2^32 and "0x"
// and 12 upper-case hex digits from 2^32 on, then at most 15
// sub-authorities, each a decimal uint32; no leading zeros, no sign, and
// not the empty SID S-1-0. Group SIDs are compared as strings, so any
// other spelling of a SID could never match.
func isSID(s string) bool {
	rest, ok := strings.CutPrefix(s, "S-1-")
	if !ok {
		return false
	}
	parts := strings.Split(rest, "-")
	if len(parts) > 1+maxSubAuthorities {
		return false
	}
	auth := parts[0]
	if h, ok := strings.CutPrefix(auth, "0x"); ok {
		v, err := strconv.ParseUint(h, 16, 48)
		if err != nil || len(h) != 12 || strings.ToUpper(h) != h || v < 1<<32 {
			return false
		}
	} else if !isDecimal(auth) {
		return false
	}
	if auth == "0" && len(parts) == 1 {
		return false // S-1-0, the empty SID
	}
	for _, p := range parts[1:] {
		if !isDecimal(p) {
			return false
		}
	}
	return true
}

// isDecimal reports whether s is a uint32 in decimal without leading
// zeros.
func isDecimal(s string) bool {
	if s == "" || len(s) > 1 && s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	_, err := strconv.ParseUint(s, 10, 32)
	return err == nil
}
