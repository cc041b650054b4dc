package main

import (
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/negotiate-go/negotiate/client"
	"github.com/negotiate-go/negotiate/middleware"
)

// app is the demo's routes behind the middleware.
type app struct {
	mw      *middleware.Middleware
	log     *slog.Logger
	service string // "HTTP"
	host    string // host part of our service principal; "" for -hostname '*'
	selfURL string // where /delegated reaches this server: "http://127.0.0.1:PORT"
	port    int

	// constrained: the acceptor hands out proxy credentials
	// (-constrained-delegation).
	constrained bool
}

func newApp(acc middleware.Acceptor, o options, addr *net.TCPAddr, log *slog.Logger) (*app, error) {
	opts := []middleware.Option{
		middleware.WithLogger(log),
		middleware.WithAuthRequired(func(r *http.Request) bool { return r.URL.Path != "/public" }),
	}
	if o.delegationDir != "" {
		opts = append(opts, middleware.WithDelegationDir(o.delegationDir))
	}
	if o.sessionKeyFile != "" {
		keys, err := readSessionKeys(o.sessionKeyFile, log)
		if err != nil {
			return nil, err
		}
		// The demo serves plain HTTP: a Secure cookie would never come back.
		opts = append(opts, middleware.WithSessions(), middleware.WithSessionKeys(keys...), middleware.WithInsecureSessionCookie())
		log.Warn("sessions on, with a cookie that is not Secure, since the demo serves plain HTTP: anyone who sees the traffic can take the cookie and be the user until it expires; serve HTTPS and keep the cookie Secure in production",
			"keys", len(keys), "key_file", o.sessionKeyFile)
	}
	if len(o.allowRealms) > 0 {
		opts = append(opts, middleware.WithAllowedRealms(o.allowRealms...))
		log.Info("only principals of these realms are let in", "realms", o.allowRealms)
	}
	if len(o.allowGroups) > 0 {
		opts = append(opts, middleware.WithAllowedGroups(o.allowGroups...))
		log.Info("only members of these groups are let in", "groups", o.allowGroups)
	}
	mw, err := middleware.New(acc, opts...)
	if err != nil {
		return nil, err
	}
	a := &app{mw: mw, log: log, service: o.service, port: addr.Port, constrained: o.constrained}
	if o.hostname != "*" {
		a.host = o.hostname
	}
	// /delegated calls this very server, on the address it listens on, so
	// no request can steer the user's credential elsewhere.
	ip := addr.IP
	if ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
	}
	a.selfURL = "http://" + net.JoinHostPort(ip.String(), strconv.Itoa(addr.Port))
	return a, nil
}

func (a *app) close() { a.mw.Close() }

func (a *app) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /whoami", a.whoami)
	mux.HandleFunc("GET /public", a.public)
	mux.HandleFunc("GET /delegated", a.delegated)
	mux.HandleFunc("GET /info", a.info)
	mux.HandleFunc("GET /{$}", a.index)
	return a.mw.Wrap(mux)
}

// spn is the service name this server answers to for r: the configured
// host, or with -hostname '*' the host the client addressed (the keytab
// accepted a ticket for it).
func (a *app) spn(r *http.Request) string {
	host := a.host
	if host == "" {
		host, _, _ = strings.Cut(r.Host, ":")
	}
	return a.service + "@" + host
}

func (a *app) whoami(w http.ResponseWriter, r *http.Request) {
	p, _ := middleware.PrincipalFromContext(r.Context())
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, p)
}

func (a *app) public(w http.ResponseWriter, r *http.Request) {
	p, ok := middleware.PrincipalFromContext(r.Context())
	if !ok {
		p = "anonymous"
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, p)
}

// delegated calls /whoami on this server as the user, with the credential
// the user delegated, or with -constrained-delegation the proxy credential
// the acceptor made: from the ccache file the middleware stored when
// -delegation-dir is set, else straight from memory.
func (a *app) delegated(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	auth, _ := middleware.FromContext(r.Context())
	// A session request has no credential in memory, but may have the
	// ccache file that -delegation-dir keeps.
	if auth.Delegated == nil && auth.CCache == "" {
		w.WriteHeader(http.StatusForbidden)
		if a.constrained {
			fmt.Fprintln(w, "no delegated credential: this route acts as you, and your ticket allows no constrained delegation (it is not forwardable: kinit -f; or your account is marked sensitive), nor did your client delegate (curl: --delegation always; negotiate-client: -delegate)")
			return
		}
		fmt.Fprintln(w, "no delegated credential: this route acts as you, so your client must delegate (curl: --delegation always; negotiate-client: -delegate)")
		return
	}
	kind := "the delegated credential"
	if auth.DelegationKind == "proxy" {
		kind = "a proxy credential (constrained delegation)"
	}
	source, how := client.WithCredential(auth.Delegated), kind+" in memory"
	if auth.CCache != "" {
		source, how = client.WithCCache(auth.CCache), "the ccache "+auth.CCache
		if auth.Delegated != nil {
			how = kind + " in the ccache " + auth.CCache
		}
	}
	spn := a.spn(r)
	t, err := client.New(source, client.WithSPN(func(*http.Request) string { return spn }))
	if err != nil {
		a.hopFailed(w, r, err)
		return
	}
	defer t.Close()
	resp, err := (&http.Client{Transport: t, Timeout: 10 * time.Second}).Get(a.selfURL + "/whoami")
	if err != nil {
		a.hopFailed(w, r, err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	fmt.Fprintf(w, "%s called /whoami as you, with %s, and got %s: %s", spn, how, resp.Status, body)
}

func (a *app) hopFailed(w http.ResponseWriter, r *http.Request, err error) {
	p, _ := middleware.PrincipalFromContext(r.Context())
	a.log.Error("delegated call failed", "principal", p, "error", err)
	http.Error(w, "the delegated call failed; the server log says why", http.StatusBadGateway)
}

var indexPage = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>negotiate demo</title></head>
<body>
<h1>Hello, {{.Principal}}</h1>
<p>You authenticated with HTTP Negotiate (SPNEGO/Kerberos).</p>
<ul>
<li>Local name: {{if .LocalName}}{{.LocalName}}{{else}}(no auth_to_local mapping){{end}}</li>
<li>Delegated a credential: {{if .Delegated}}yes, {{.DelegationKind}}{{else}}no{{end}}</li>
<li>Ticket valid until: {{if .Expiry.IsZero}}(no limit){{else}}{{.Expiry.Format "2006-01-02 15:04:05 MST"}}{{end}}</li>
</ul>
<p><a href="/whoami">/whoami</a> · <a href="/public">/public</a> · <a href="/delegated">/delegated</a> · <a href="/info">/info</a> (what the server knows of you, as JSON: SIDs and groups from an AD ticket's PAC)</p>
</body></html>
`))

func (a *app) index(w http.ResponseWriter, r *http.Request) {
	auth, _ := middleware.FromContext(r.Context())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := indexPage.Execute(w, auth); err != nil {
		a.log.Warn("index page", "error", err)
	}
}

// readSessionKeys reads the -session-key-file: one key a line, 64 hex
// digits each. It warns when others than the owner may read the file.
func readSessionKeys(path string, log *slog.Logger) ([][]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("-session-key-file: %w", err)
	}
	keys, err := middleware.ParseSessionKeys(data)
	if err != nil {
		return nil, fmt.Errorf("-session-key-file %s: %w", path, err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		log.Warn("the session key file is readable by others than its owner: whoever reads it can forge a session for anyone; chmod 600 it",
			"key_file", path, "mode", fmt.Sprintf("%#o", fi.Mode().Perm()))
	}
	return keys, nil
}
