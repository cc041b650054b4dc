package ccache

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzParse checks the parser on arbitrary input: it never panics, fails
// only with ErrFormat, and what it parses survives a round trip through
// Marshal (keys, tickets and unknown header fields aside, which Cache does
// not keep).
func FuzzParse(f *testing.F) {
	// Real files written by MIT krb5 (see TestParseRealFiles): version 4
	// with a time-offset header and a config entry, version 4 with two
	// tickets, version 3 (enctype twice), a two-component client.
	files, _ := filepath.Glob("testdata/*.ccache")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})                                                                                                       // empty file
	f.Add([]byte{5, 4})                                                                                                   // version only
	f.Add([]byte{5, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0})                                                         // v4, no header, principal with no components, empty realm
	f.Add([]byte{5, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 'R', 0, 0, 0, 1, 'a'})                                         // v3 header-less default principal, no credentials
	f.Add([]byte{5, 4, 0, 12, 0, 1, 0, 8, 0xff, 0xff, 0xff, 0xfd, 0, 0, 0, 250, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 'R'}) // negative time offset
	f.Add([]byte{5, 4, 0, 4, 0, 9, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 'R'})                                        // unknown empty header tag
	f.Add([]byte{5, 4, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff})                                                         // component count 2^32-1
	f.Add([]byte{5, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff})                                             // realm length 2^31-1
	f.Add([]byte{5, 2, 0, 0})                                                                                             // version 2, native byte order: refused
	f.Add([]byte{5, 4, 0xff, 0xff})                                                                                       // header length past the end

	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			if c != nil {
				t.Fatal("cache with an error")
			}
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v does not wrap ErrFormat", err)
			}
			return
		}
		if c.Version != Version3 && c.Version != Version4 {
			t.Fatalf("version %#x", c.Version)
		}
		again, err := Parse(c.Marshal())
		if err != nil {
			t.Fatalf("re-parse of Marshal: %v", err)
		}
		// The time offset is checked by TestMarshalRoundTrip; here any
		// int32 pair is accepted, which Marshal need not reproduce.
		again.KDCOffset = c.KDCOffset
		if !reflect.DeepEqual(again, c) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", again, c)
		}
		end, ok := c.LatestEnd()
		if ok != (len(c.Tickets()) > 0) {
			t.Fatalf("LatestEnd ok %v with %d tickets", ok, len(c.Tickets()))
		}
		for _, cr := range c.Tickets() {
			if cr.EndTime.After(end) {
				t.Fatalf("ticket ends %v after LatestEnd %v", cr.EndTime, end)
			}
		}
	})
}
