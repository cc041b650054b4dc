package middleware

import (
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// TestCustomUnauthorizedHandlerWrites checks that the challenge is added
// however the custom 401 handler first sends its header.
func TestCustomUnauthorizedHandlerWrites(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"WriteHeader", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(401) }},
		{"Write only", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "x") }},
		{"nothing", func(w http.ResponseWriter, r *http.Request) {}},
		{"Flusher", func(w http.ResponseWriter, r *http.Request) { w.(http.Flusher).Flush() }},
		{"ResponseController", func(w http.ResponseWriter, r *http.Request) {
			if err := http.NewResponseController(w).Flush(); err != nil {
				t.Error(err)
			}
		}},
		{"informational first", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Link", "</style.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			w.Header().Set("WWW-Authenticate", "Negotiate, Basic")
			w.WriteHeader(401)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mw, err := New(newFake(), quiet, WithUnauthorizedHandler(tt.handler))
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(mw.Wrap(nextHandler))
			defer srv.Close()
			res, err := srv.Client().Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			want := []string{"Negotiate"}
			if tt.name == "informational first" {
				want = []string{"Negotiate, Basic"}
			}
			if got := res.Header.Values("WWW-Authenticate"); !slices.Equal(got, want) {
				t.Errorf("WWW-Authenticate = %q, want %q", got, want)
			}
		})
	}
}

// TestChallengeWriterUnwrap checks that the custom 401 handler's writer
// leads back to the server's.
func TestChallengeWriterUnwrap(t *testing.T) {
	rec := httptest.NewRecorder()
	var got http.ResponseWriter
	mw, err := New(newFake(), quiet, WithUnauthorizedHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			t.Fatal("custom 401 writer has no Unwrap")
		}
		got = u.Unwrap()
	})))
	if err != nil {
		t.Fatal(err)
	}
	mw.Wrap(nextHandler).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if got != rec {
		t.Errorf("Unwrap = %T %p, want the recorder %p", got, got, rec)
	}
}

// TestMutualAuthHeader checks on a real server that the output token goes
// out however the handler starts its response, and that the handler gets
// the server's own writer.
func TestMutualAuthHeader(t *testing.T) {
	want := mutualHeader
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"WriteHeader", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(201) }},
		{"Write only", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") }},
		{"Flusher", func(w http.ResponseWriter, r *http.Request) {
			w.(http.Flusher).Flush()
			io.WriteString(w, "hello")
		}},
		{"ResponseController", func(w http.ResponseWriter, r *http.Request) {
			if err := http.NewResponseController(w).Flush(); err != nil {
				t.Error(err)
			}
			io.WriteString(w, "hello")
		}},
		{"nothing", func(w http.ResponseWriter, r *http.Request) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mw, err := New(newFake(), quiet)
			if err != nil {
				t.Fatal(err)
			}
			var outer, inner http.ResponseWriter
			h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				inner = w
				tt.handler(w, r)
			}))
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				outer = w
				h.ServeHTTP(w, r)
			}))
			defer srv.Close()
			res, err := sendToken(srv, "/", "alice")
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if got := res.Header.Values("WWW-Authenticate"); !slices.Equal(got, []string{want}) {
				t.Errorf("WWW-Authenticate = %q, want %q", got, want)
			}
			if inner != outer {
				t.Errorf("next got writer %T, want the server's %T unwrapped", inner, outer)
			}
		})
	}
}

// TestHijack checks that a handler behind the middleware can still take over
// the connection through http.ResponseController.
func TestHijack(t *testing.T) {
	mw, err := New(newFake(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := PrincipalFromContext(r.Context())
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("Hijack: %v", err)
			return
		}
		defer conn.Close()
		body := "hijacked " + p
		fmt.Fprintf(brw, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
		brw.Flush()
	})))
	defer srv.Close()
	res, err := sendToken(srv, "/", "alice")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if string(b) != "hijacked "+alice {
		t.Errorf("body = %q", b)
	}
}

func TestLogging(t *testing.T) {
	tests := []struct {
		kind      string
		auth      string
		level     string
		msg       string
		reason    string
		principal string
		hint      string
	}{
		{"success", neg("alice"), "DEBUG", "negotiate: authenticated", "", alice, ""},
		{"none", "", "DEBUG", "negotiate: no credentials", "no_credentials", "", ""},
		{"replay", neg("replay"), "INFO", "negotiate: authentication failed", "replay", "mallory@EXAMPLE.TEST", "replayed token"},
		{"skew", neg("skew"), "INFO", "negotiate: authentication failed", "clock_skew", "", "check NTP"},
		// The key version and enctype are in the ticket's clear text: the
		// hint must not tell operators to re-key for one client's token.
		{"kvno", neg("kvno"), "INFO", "negotiate: authentication failed", "stale_keytab", "", "if every client fails"},
		{"enctype", neg("enctype"), "INFO", "negotiate: authentication failed", "keytab_enctype", "", "one failing client"},
		{"anonymous", neg("anonymous"), "INFO", "negotiate: authentication failed", "anonymous", "", ""},
		{"wrongsvc", neg("wrongsvc"), "INFO", "negotiate: authentication failed", "wrong_service", "", "check the SPN"},
		{"expired", neg("expired"), "INFO", "negotiate: authentication failed", "ticket_expired", "", ""},
		{"bad base64", neg("bob") + "\r\n", "INFO", "negotiate: authentication failed", "bad_base64", "", ""},
		{"too large", "Negotiate " + strings.Repeat(b64("alice"), 4000), "INFO", "negotiate: authentication failed", "token_too_large", "", ""},
		{"ntlm", "Negotiate " + base64.StdEncoding.EncodeToString([]byte("NTLMSSP\x00"+marker)), "INFO", "negotiate: NTLM offered", "ntlm_offered", "", "NTLM"},
		{"server", neg("servercred"), "ERROR", "negotiate: server fault", "server_credentials", "", ""},
		{"internal", neg("internal"), "ERROR", "negotiate: server fault", "unknown", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			buf, logger := newLog(slog.LevelDebug)
			mw, err := New(newFake(), logger)
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest("GET", "/", nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			mw.Wrap(nextHandler).ServeHTTP(httptest.NewRecorder(), req)
			out := buf.String()
			if n := strings.Count(out, "\n"); n != 1 {
				t.Fatalf("%d log lines, want 1:\n%s", n, out)
			}
			for _, want := range []string{"level=" + tt.level, `msg="` + tt.msg + `"`, "remote_addr=192.0.2.1:1234"} {
				if !strings.Contains(out, want) {
					t.Errorf("log lacks %s:\n%s", want, out)
				}
			}
			if tt.reason != "" && !strings.Contains(out, "reason="+tt.reason) {
				t.Errorf("log lacks reason=%s:\n%s", tt.reason, out)
			}
			if tt.principal != "" && !strings.Contains(out, "principal="+tt.principal) {
				t.Errorf("log lacks principal=%s:\n%s", tt.principal, out)
			}
			if tt.hint != "" && !(strings.Contains(out, "hint=") && strings.Contains(out, tt.hint)) {
				t.Errorf("log lacks hint %q:\n%s", tt.hint, out)
			}
			if tt.hint == "" && strings.Contains(out, "hint=") {
				t.Errorf("log has an unexpected hint:\n%s", out)
			}
			if tt.level == "ERROR" && !strings.Contains(out, secretDetail) {
				t.Errorf("server fault logged without its cause:\n%s", out)
			}
			// No token, raw or encoded, whole or in part.
			_, param := splitCredentials(tt.auth)
			param = strings.TrimSpace(param)
			for _, leak := range []string{marker, param, prefix(param, 12)} {
				if leak != "" && strings.Contains(out, leak) {
					t.Errorf("log holds the token (%q):\n%s", leak, out)
				}
			}
		})
	}
}

func prefix(s string, n int) string { return s[:min(n, len(s))] }
