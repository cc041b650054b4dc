package middleware

import "testing"

func TestIsSID(t *testing.T) {
	for s, want := range map[string]bool{
		"S-1-5-21-1004336348-1177238915-682003330-1107": true,
		"S-1-5-32-544":         true, // BUILTIN\Administrators
		"S-1-18-1":             true, // authentication authority asserted identity
		"S-1-1-0":              true, // Everyone
		"S-1-0-0":              true, // Nobody
		"S-1-5":                true, // NT Authority, no sub-authority
		"S-1-5-4294967295":     true,
		"S-1-4294967295":       true,
		"S-1-0x100000000000-1": true,
		"S-1-0xFFFFFFFFFFFF":   true,

		"":                      false,
		"S-1-":                  false,
		"S-1-0":                 false, // the empty SID
		"s-1-5-32-544":          false,
		"S-2-5-32-544":          false,
		"S-1-5-":                false,
		"S-1-5--1":              false,
		"S-1-5-032-544":         false,
		"S-1-05-32":             false,
		"S-1-5-+32":             false,
		"S-1-5-4294967296":      false,
		"S-1-4294967296":        false, // written in hex from 2^32 on
		"S-1-0x000000000005-32": false, // and in decimal below
		"S-1-0x100000000000a":   false,
		"S-1-0x10000000000a":    false, // upper-case hex only
		"S-1-0x1000000000000":   false, // more than 48 bits
		"S-1-5-32-544 ":         false,
		" S-1-5-32-544":         false,
		"S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15":    true,
		"S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16": false,
	} {
		if got := isSID(s); got != want {
			t.Errorf("isSID(%q) = %v, want %v", s, got, want)
		}
	}
}
