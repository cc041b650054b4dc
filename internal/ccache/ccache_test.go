package ccache

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// The files in testdata were written by MIT krb5 1.20 against a throwaway
// realm (internal/testrealm): kinit -f for alice, bob and svc/admin, kvno
// HTTP/localhost for alice-svc, and for bob a krb5.conf with
// "ccache_type = 3". Tickets were issued at authTime for 10 hours,
// renewable for a day. Their keys belong to a realm that no longer exists.
const (
	authTime  = 1796054965 // 2026-11-30 16:09:25 UTC
	endTime   = authTime + 10*3600
	renewTill = authTime + 24*3600
)

// Ticket flags as MIT stores them.
const (
	flagForwardable = 0x40000000
	flagRenewable   = 0x00800000
	flagInitial     = 0x00400000
	flagTransited   = 0x00080000
	flagEncPARep    = 0x00010000
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseRealFiles(t *testing.T) {
	tgt := "krbtgt/EXAMPLE.TEST@EXAMPLE.TEST"
	tests := []struct {
		file     string
		version  int
		client   string
		servers  []string // tickets, in file order
		flags    []uint32
		nconfigs int
	}{
		{"alice-tgt.v4.ccache", Version4, "alice@EXAMPLE.TEST", []string{tgt},
			[]uint32{flagForwardable | flagRenewable | flagInitial | flagEncPARep}, 1},
		{"alice-svc.v4.ccache", Version4, "alice@EXAMPLE.TEST", []string{tgt, "HTTP/localhost@EXAMPLE.TEST"},
			[]uint32{flagForwardable | flagRenewable | flagInitial | flagEncPARep, flagForwardable | flagRenewable | flagTransited | flagEncPARep}, 1},
		{"bob-tgt.v3.ccache", Version3, "bob@EXAMPLE.TEST", []string{tgt},
			[]uint32{flagForwardable | flagRenewable | flagInitial | flagEncPARep}, 1},
		{"svc-admin-tgt.v4.ccache", Version4, "svc/admin@EXAMPLE.TEST", []string{tgt},
			[]uint32{flagForwardable | flagRenewable | flagInitial | flagEncPARep}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			c, err := ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if c.Version != tt.version {
				t.Errorf("Version = %#x, want %#x", c.Version, tt.version)
			}
			if got := c.Default.String(); got != tt.client {
				t.Errorf("Default = %q, want %q", got, tt.client)
			}
			if c.KDCOffset != 0 {
				t.Errorf("KDCOffset = %v", c.KDCOffset)
			}
			var servers []string
			var flags []uint32
			nconfigs := 0
			for _, cr := range c.Credentials {
				if got := cr.Client.String(); got != tt.client {
					t.Errorf("client %q, want %q", got, tt.client)
				}
				if cr.IsConfig() {
					nconfigs++
					if cr.Server.Components[0] != "krb5_ccache_conf_data" || !cr.EndTime.IsZero() || !cr.AuthTime.IsZero() {
						t.Errorf("config entry %+v", cr)
					}
					continue
				}
				servers = append(servers, cr.Server.String())
				flags = append(flags, cr.Flags)
				if cr.AuthTime.Unix() != authTime || cr.StartTime.Unix() != authTime ||
					cr.EndTime.Unix() != endTime || cr.RenewTill.Unix() != renewTill {
					t.Errorf("%s: times %v %v %v %v", cr.Server, cr.AuthTime, cr.StartTime, cr.EndTime, cr.RenewTill)
				}
				if cr.KeyType != 18 || cr.IsSKey || cr.IsRemoved() {
					t.Errorf("%s: key type %d, skey %v, removed %v", cr.Server, cr.KeyType, cr.IsSKey, cr.IsRemoved())
				}
			}
			if !slices.Equal(servers, tt.servers) {
				t.Errorf("servers %q, want %q", servers, tt.servers)
			}
			if !slices.Equal(flags, tt.flags) {
				t.Errorf("flags %#x, want %#x", flags, tt.flags)
			}
			if nconfigs != tt.nconfigs {
				t.Errorf("%d config entries, want %d", nconfigs, tt.nconfigs)
			}
			if n := len(c.Tickets()); n != len(tt.servers) {
				t.Errorf("Tickets() has %d, want %d", n, len(tt.servers))
			}
			if end, ok := c.LatestEnd(); !ok || end.Unix() != endTime {
				t.Errorf("LatestEnd = %v, %v, want %v", end, ok, time.Unix(endTime, 0))
			}
			if c.Default.String() == "svc/admin@EXAMPLE.TEST" && !slices.Equal(c.Default.Components, []string{"svc", "admin"}) {
				t.Errorf("components %q", c.Default.Components)
			}
		})
	}
}

// TestKlist compares the parse with what MIT's klist shows of the same
// files: the default principal, and for each ticket (config entries are
// hidden, as klist hides them) its start, its end and its server. It is
// skipped where klist is not installed.
func TestKlist(t *testing.T) {
	klist, err := exec.LookPath("klist")
	if err != nil {
		t.Skip("klist not installed")
	}
	files, _ := filepath.Glob("testdata/*.ccache")
	if len(files) == 0 {
		t.Fatal("no testdata")
	}
	// And files written by Marshal, with a removed entry that klist, like
	// Tickets, must skip.
	now := time.Unix(1800000000, 0)
	alice := Principal{NameType: 1, Realm: "EXAMPLE.TEST", Components: []string{"alice"}}
	for _, version := range []int{Version3, Version4} {
		c := &Cache{Version: version, Default: alice, Credentials: []Credential{
			{Client: alice, Server: Principal{NameType: 2, Realm: "EXAMPLE.TEST", Components: []string{"krbtgt", "EXAMPLE.TEST"}},
				AuthTime: now, EndTime: now.Add(time.Hour), KeyType: 18},
			{Client: alice, Server: Principal{NameType: 1, Realm: "EXAMPLE.TEST", Components: []string{"HTTP", "gone"}},
				AuthTime: time.Unix(removedAuthTime, 0)}, // removed
			{Client: alice, Server: Principal{NameType: 1, Realm: "EXAMPLE.TEST", Components: []string{"HTTP", "localhost"}},
				AuthTime: now, StartTime: now.Add(time.Minute), EndTime: now.Add(2 * time.Hour), KeyType: 18},
		}}
		name := filepath.Join(t.TempDir(), fmt.Sprintf("marshal-v%d.ccache", version&0xff))
		if err := os.WriteFile(name, c.Marshal(), 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, name)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			abs, _ := filepath.Abs(file)
			cmd := exec.Command(klist, "-c", "FILE:"+abs)
			cmd.Env = []string{"TZ=UTC", "LC_ALL=C", "KRB5_CONFIG=/dev/null", "PATH=" + os.Getenv("PATH")}
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("klist: %v\n%s", err, out)
			}
			c, err := ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}

			var def string
			var got []string
			sc := bufio.NewScanner(bytes.NewReader(out))
			for sc.Scan() {
				line := sc.Text()
				if p, ok := strings.CutPrefix(line, "Default principal: "); ok {
					def = p
					continue
				}
				f := strings.Fields(line)
				if len(f) != 5 {
					continue
				}
				start, err1 := time.Parse("01/02/06 15:04:05", f[0]+" "+f[1])
				end, err2 := time.Parse("01/02/06 15:04:05", f[2]+" "+f[3])
				if err1 != nil || err2 != nil {
					continue
				}
				got = append(got, start.Format(time.RFC3339)+" "+end.Format(time.RFC3339)+" "+f[4])
			}
			var want []string
			for _, cr := range c.Tickets() {
				want = append(want, cr.Start().UTC().Format(time.RFC3339)+" "+cr.EndTime.UTC().Format(time.RFC3339)+" "+cr.Server.String())
			}
			if def != c.Default.String() {
				t.Errorf("klist default principal %q, parsed %q", def, c.Default)
			}
			if !slices.Equal(got, want) {
				t.Errorf("klist tickets:\n%s\nparsed:\n%s\nklist output:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), out)
			}
		})
	}
}

// TestTruncated cuts each real file at every length: Parse fails, or, at a
// credential boundary, returns the credentials before it.
func TestTruncated(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.ccache")
	for _, file := range files {
		data := readTestdata(t, filepath.Base(file))
		full, err := Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		boundaries := 0
		for n := range len(data) {
			c, err := Parse(data[:n])
			if err != nil {
				if !errors.Is(err, ErrFormat) {
					t.Fatalf("%s[:%d]: error %v does not wrap ErrFormat", file, n, err)
				}
				continue
			}
			boundaries++
			if !reflect.DeepEqual(c.Default, full.Default) || len(c.Credentials) >= len(full.Credentials) ||
				(len(c.Credentials) > 0 && !reflect.DeepEqual(c.Credentials, full.Credentials[:len(c.Credentials)])) {
				t.Fatalf("%s[:%d] parsed to %+v", file, n, c)
			}
		}
		// After the default principal and after each credential but the
		// last.
		if boundaries != len(full.Credentials) {
			t.Errorf("%s: %d prefixes parse, want %d", file, boundaries, len(full.Credentials))
		}
	}
}

// principalBytes encodes a principal with arbitrary counts and lengths.
func principalBytes(nameType, count uint32, realm string, comps ...string) []byte {
	b := binary.BigEndian.AppendUint32(nil, nameType)
	b = binary.BigEndian.AppendUint32(b, count)
	b = appendData(b, realm)
	for _, c := range comps {
		b = appendData(b, c)
	}
	return b
}

func TestParseMalformed(t *testing.T) {
	v4 := []byte{5, 4, 0, 0}
	good := principalBytes(1, 1, "R", "alice")
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"one byte", []byte{5}},
		{"version 1", cat([]byte{5, 1}, good)},
		{"version 2", cat([]byte{5, 2}, good)},
		{"version 5", cat([]byte{5, 5, 0, 0}, good)},
		{"keytab", cat([]byte{5, 2, 0, 0, 0, 0}, good)},
		{"no default principal", v4},
		{"header past the end", cat([]byte{5, 4, 0, 40}, good)},
		{"header field past the header", cat([]byte{5, 4, 0, 6, 0, 1, 0, 8, 0, 0}, good)},
		{"time offset of 4 bytes", cat([]byte{5, 4, 0, 8, 0, 1, 0, 4, 0, 0, 0, 1}, good)},
		{"component count 2^32-1", cat(v4, principalBytes(1, 0xffffffff, "R", "a"))},
		{"component count one too many", cat(v4, principalBytes(1, 2, "R", "a"))},
		{"realm length 2^32-1", cat(v4, binary.BigEndian.AppendUint32([]byte{0, 0, 0, 1, 0, 0, 0, 0}, 0xffffffff))},
		{"component length past the end", cat(v4, []byte{0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 'R', 0, 0, 0, 9, 'a'})},
		{"credential cut in the client", cat(v4, good, []byte{0, 0, 0, 1, 0})},
		{"address count 2^32-1", cat(v4, good, good, good, []byte{0, 18, 0, 0, 0, 0},
			make([]byte, 16), []byte{0, 0, 0, 0, 0}, []byte{0xff, 0xff, 0xff, 0xff})},
		{"authdata count 2^32-1", cat(v4, good, good, good, []byte{0, 18, 0, 0, 0, 0},
			make([]byte, 16), []byte{0, 0, 0, 0, 0}, []byte{0, 0, 0, 0}, []byte{0xff, 0xff, 0xff, 0xff})},
		{"ticket length 2^31", cat(v4, good, good, good, []byte{0, 18, 0, 0, 0, 0},
			make([]byte, 16), []byte{0, 0, 0, 0, 0}, []byte{0, 0, 0, 0, 0, 0, 0, 0}, []byte{0x80, 0, 0, 0})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(tt.data)
			if err == nil {
				t.Fatalf("parsed: %+v", c)
			}
			if !errors.Is(err, ErrFormat) {
				t.Errorf("error %v does not wrap ErrFormat", err)
			}
			if !strings.HasPrefix(err.Error(), "ccache: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}

	// The same shapes, whole, parse: the table's failures are the defects.
	ok := cat(v4, good, good, good, []byte{0, 18, 0, 0, 0, 0}, make([]byte, 16), []byte{0, 0, 0, 0, 0},
		[]byte{0, 0, 0, 0, 0, 0, 0, 0}, []byte{0, 0, 0, 0, 0, 0, 0, 0})
	if c, err := Parse(ok); err != nil || len(c.Credentials) != 1 {
		t.Errorf("well-formed credential: %+v, %v", c, err)
	}
}

func TestParseLarge(t *testing.T) {
	big := make([]byte, MaxFileSize+1)
	copy(big, []byte{5, 4})
	if _, err := Read(bytes.NewReader(big)); !errors.Is(err, ErrFormat) {
		t.Errorf("oversized file: %v", err)
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	now := time.Unix(1800000000, 0)
	alice := Principal{NameType: 1, Realm: "EXAMPLE.TEST", Components: []string{"alice"}}
	tgt := Principal{NameType: 2, Realm: "EXAMPLE.TEST", Components: []string{"krbtgt", "EXAMPLE.TEST"}}
	conf := Principal{Realm: ConfigRealm, Components: []string{"krb5_ccache_conf_data", "pa_type", "krbtgt/EXAMPLE.TEST@EXAMPLE.TEST"}}
	for _, version := range []int{Version3, Version4} {
		c := &Cache{
			Version:   version,
			KDCOffset: -3*time.Second - 250*time.Microsecond,
			Default:   alice,
			Credentials: []Credential{
				{Client: alice, Server: conf},
				{Client: alice, Server: tgt, AuthTime: now, EndTime: now.Add(time.Hour), RenewTill: now.Add(2 * time.Hour),
					Flags: flagForwardable | flagInitial, KeyType: 18},
				{Client: alice, Server: tgt, AuthTime: now, StartTime: now.Add(time.Minute), EndTime: now.Add(3 * time.Hour), IsSKey: true, KeyType: 17},
				{Client: alice, Server: tgt, AuthTime: time.Unix(removedAuthTime, 0)},                      // removed in place
				{Client: alice, Server: Principal{Realm: removedConfigRealm, Components: conf.Components}}, // removed config entry
				{Client: alice, Server: tgt, AuthTime: now},                                                // endtime 0: listed, expired
			},
		}
		if version == Version3 {
			c.KDCOffset = 0
		}
		got, err := Parse(c.Marshal())
		if err != nil {
			t.Fatalf("v%d: %v", version, err)
		}
		if !reflect.DeepEqual(got, c) {
			t.Errorf("v%d: round trip\n got %+v\nwant %+v", version, got, c)
		}
		if end, ok := got.LatestEnd(); !ok || !end.Equal(now.Add(3*time.Hour)) {
			t.Errorf("LatestEnd = %v, %v", end, ok)
		}
		if n := len(got.Tickets()); n != 3 {
			t.Errorf("%d tickets, want 3 (no config, no removed)", n)
		}
	}

	// A real file survives a round trip through Cache, keys and tickets
	// aside.
	for _, name := range []string{"alice-svc.v4.ccache", "bob-tgt.v3.ccache"} {
		c, err := Parse(readTestdata(t, name))
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse(c.Marshal())
		if err != nil || !reflect.DeepEqual(again, c) {
			t.Errorf("%s: round trip: %v\n got %+v\nwant %+v", name, err, again, c)
		}
	}
}

func TestLatestEnd(t *testing.T) {
	now := time.Unix(1800000000, 0)
	p := Principal{Realm: "R", Components: []string{"a"}}
	conf := Principal{Realm: ConfigRealm, Components: []string{"krb5_ccache_conf_data", "fast_avail"}}
	tests := []struct {
		name  string
		creds []Credential
		end   time.Time
		ok    bool
	}{
		{"none", nil, time.Time{}, false},
		{"config only", []Credential{{Server: conf}}, time.Time{}, false},
		{"removed only", []Credential{{Server: p, AuthTime: time.Unix(removedAuthTime, 0)}}, time.Time{}, false},
		{"endtime 0", []Credential{{Server: p, AuthTime: now}}, time.Time{}, true},
		{"one", []Credential{{Server: conf}, {Server: p, AuthTime: now, EndTime: now.Add(time.Hour)}}, now.Add(time.Hour), true},
		{"latest wins", []Credential{
			{Server: p, AuthTime: now, EndTime: now.Add(2 * time.Hour)},
			{Server: p, AuthTime: now, EndTime: now.Add(time.Hour)},
		}, now.Add(2 * time.Hour), true},
		{"config with a late time ignored", []Credential{
			{Server: p, AuthTime: now, EndTime: now.Add(time.Hour)},
			{Server: conf, EndTime: now.Add(100 * time.Hour)},
		}, now.Add(time.Hour), true},
		{"past 2038", []Credential{{Server: p, AuthTime: now, EndTime: time.Unix(1<<32-1, 0)}}, time.Unix(1<<32-1, 0), true},
	}
	for _, tt := range tests {
		c := &Cache{Version: Version4, Default: p, Credentials: tt.creds}
		c, err := Parse(c.Marshal())
		if err != nil {
			t.Fatal(err)
		}
		end, ok := c.LatestEnd()
		if ok != tt.ok || !end.Equal(tt.end) {
			t.Errorf("%s: LatestEnd = %v, %v, want %v, %v", tt.name, end, ok, tt.end, tt.ok)
		}
	}
}

func TestPrincipalString(t *testing.T) {
	tests := []struct {
		p    Principal
		want string
	}{
		{Principal{Realm: "R", Components: []string{"alice"}}, "alice@R"},
		{Principal{Realm: "R", Components: []string{"svc", "admin"}}, "svc/admin@R"},
		{Principal{Realm: "R", Components: []string{"svc/admin"}}, `svc\/admin@R`},
		{Principal{Realm: "R/S", Components: []string{"a@b"}}, `a\@b@R/S`},
		{Principal{Realm: "R@S", Components: []string{`a\b`, "\x00\t\n\b"}}, `a\\b/\0\t\n\b@R\@S`},
		{Principal{Realm: "R"}, "@R"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.p, got, tt.want)
		}
	}
}

// TestParseAllocBound parses hostile shapes that maximize what a byte of
// input makes the parser allocate: it stays within a small multiple of the
// input's size.
func TestParseAllocBound(t *testing.T) {
	const size = 1 << 20
	// One principal of size/4 empty components.
	comps := binary.BigEndian.AppendUint32([]byte{5, 4, 0, 0, 0, 0, 0, 1}, size/4-4)
	comps = append(comps, make([]byte, size-len(comps))...)
	// As many minimal credentials as fit.
	empty := principalBytes(0, 0, "")
	cred := bytes.Join([][]byte{empty, empty, make([]byte, 2+4+16+1+4+4+4+4+4)}, nil)
	creds := append([]byte{5, 4, 0, 0}, empty...)
	for len(creds)+len(cred) <= size {
		creds = append(creds, cred...)
	}
	for name, data := range map[string][]byte{"components": comps, "credentials": creds} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		c, err := Parse(data)
		runtime.ReadMemStats(&after)
		allocs := int64(after.TotalAlloc - before.TotalAlloc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if allocs > 8*int64(len(data)) {
			t.Errorf("%s: %d bytes allocated for %d bytes of input", name, allocs, len(data))
		}
		t.Logf("%s: %d bytes in, %d allocated, %d credentials", name, len(data), allocs, len(c.Credentials))
	}
}
