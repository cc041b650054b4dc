package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/negotiate-go/negotiate/gss"
	"github.com/negotiate-go/negotiate/internal/testrealm"
	"github.com/negotiate-go/negotiate/internal/testrealm/realmtest"
	"github.com/negotiate-go/negotiate/middleware"
)

var realm *testrealm.Fixture

func TestMain(m *testing.M) { os.Exit(realmtest.Main(m, &realm)) }

// protected is a server for HTTP/localhost that requires Negotiate and
// answers the principal and whether the client delegated.
func protected(t *testing.T) *httptest.Server {
	t.Helper()
	acc, err := gss.NewAcceptor(realm.AcceptorOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { acc.Close() })
	mw, err := middleware.New(acc)
	if err != nil {
		t.Fatal(err)
	}
	s := httptest.NewServer(mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, _ := middleware.FromContext(r.Context())
		fmt.Fprintf(w, "%s delegated=%v", a.Principal, a.Delegated != nil)
	})))
	t.Cleanup(s.Close)
	return s
}

func TestRun(t *testing.T) {
	public := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello")
	}))
	t.Cleanup(public.Close)
	private := protected(t)

	tests := []struct {
		name   string
		url    string
		args   []string
		code   int
		stdout string
		stderr string // in the -v line after the status line, or in the error
	}{
		{"public", public.URL, nil, 0, "hello", "no token sent"},
		{"protected", private.URL, nil, 0, "alice@EXAMPLE.TEST delegated=false", "proved its identity"},
		{"protected, delegating", private.URL, []string{"-delegate"}, 0, "alice@EXAMPLE.TEST delegated=true", "proved"},
		{"protected, preemptive", private.URL, []string{"-preemptive"}, 0, "alice@EXAMPLE.TEST delegated=false", "proved"},
		{"public, preemptive", public.URL, []string{"-preemptive"}, 1, "", "without a Negotiate token"},
		{"public, preemptive, optional", public.URL, []string{"-preemptive", "-mutual", "optional"}, 0, "hello", "sent no proof"},
		{"public, preemptive, disabled", public.URL, []string{"-preemptive", "-mutual", "disabled"}, 0, "hello", "not checked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"-v", "-ccache", realm.AliceCCache, "-spn", "HTTP@localhost"}, tt.args...)
			var stdout, stderr bytes.Buffer
			code := run(append(args, tt.url), &stdout, &stderr)
			if code != tt.code || stdout.String() != tt.stdout || !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q, and %q in stderr",
					code, stdout.String(), stderr.String(), tt.code, tt.stdout, tt.stderr)
			}
			if tt.code == 0 && !strings.HasPrefix(stderr.String(), "HTTP/1.1 200 OK\n") {
				t.Errorf("stderr %q does not begin with the status line", stderr.String())
			}
		})
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"-mutual", "sometimes", "http://localhost/"},
		{"http://localhost/", "http://localhost/"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "usage:") {
			t.Errorf("%q: exit %d, stderr %q; want 2 and the usage", args, code, stderr.String())
		}
	}
}
