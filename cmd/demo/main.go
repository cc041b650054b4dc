package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/negotiate-go/negotiate/gss"
)

type options struct {
	listen        string
	keytab        string
	service       string
	hostname      string
	delegationDir string
	realmDir      string
	realm         string // the embedded realm without -keytab: "mit" or "ad"
	selfcheck     bool

	// constrained turns on constrained delegation (S4U2Proxy): a proxy
	// credential for each client that does not delegate.
	constrained bool

	sessionKeyFile string   // "" without sessions
	allowRealms    []string // nil: any realm
	allowGroups    []string // nil: no group needed
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	var o options
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&o.keytab, "keytab", "", "service keytab; without it the demo runs its own throwaway realm")
	fs.StringVar(&o.service, "service", "HTTP", "service part of the service principal")
	fs.StringVar(&o.hostname, "hostname", "", "host part of the service principal, or * for any key in the keytab (default: localhost for the embedded realm, else the machine's hostname)")
	fs.StringVar(&o.delegationDir, "delegation-dir", "", "store each user's delegated credential in this directory (mode 0700), one ccache per principal")
	fs.StringVar(&o.realmDir, "realm-dir", "", "directory for the embedded realm, kept on exit and resumed by the next run with the same directory (default: a temporary directory removed on exit)")
	o.realm = "mit"
	fs.Func("realm", "the embedded realm without -keytab: mit, a throwaway MIT Kerberos realm, or ad, a throwaway Samba Active Directory domain (needs root and samba-ad-dc) (default mit)", func(kind string) error {
		if kind != "mit" && kind != "ad" {
			return fmt.Errorf("%q is neither mit nor ad", kind)
		}
		o.realm = kind
		return nil
	})
	fs.BoolVar(&o.selfcheck, "selfcheck", false, "run a client through every route, print a verdict and exit 0 or 1")
	fs.BoolVar(&o.constrained, "constrained-delegation", false, "for a user who does not delegate, make a proxy credential (constrained delegation, S4U2Proxy), good for the services the KDC lets this one delegate to, which /delegated uses; the keytab must begin with the service's account (in AD, not the SPN); MIT krb5 only")
	fs.StringVar(&o.sessionKeyFile, "session-key-file", "", "turn sessions on, with the keys in this file: one a line, 64 hex digits each; the first seals, all open")
	fs.Func("allow-realm", "let in only principals of this realm (repeatable)", func(realm string) error {
		o.allowRealms = append(o.allowRealms, realm)
		return nil
	})
	fs.Func("allow-group", "let in only members of this Active Directory group, by SID, as the ticket's PAC lists them (repeatable)", func(sid string) error {
		o.allowGroups = append(o.allowGroups, sid)
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "demo: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if err := o.check(); err != nil {
		fmt.Fprintf(stderr, "demo: %v\n", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if err := serve(o, stdout, log); err != nil {
		if errors.Is(err, errSelfcheckFailed) {
			return 1
		}
		log.Error("demo failed", "error", err)
		return 1
	}
	return 0
}

// serve runs the demo until a signal arrives or the self-check ends.
func serve(o options, stdout io.Writer, log *slog.Logger) error {
	// From the start: a SIGTERM as soon as the instructions are out (or
	// while the realm starts) must stop the KDC and remove a temporary
	// realm, not kill the demo. A second signal kills it as usual.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	context.AfterFunc(ctx, stop)

	var user *demoUser
	if o.keytab == "" {
		if o.realm == "mit" && len(o.allowGroups) > 0 {
			log.Warn("-allow-group with the embedded MIT realm: its tickets carry no PAC, so no groups, and every user is refused; try -realm ad")
		}
		keytab, u, stopRealm, err := startEmbedded(o, log)
		if err != nil {
			return err
		}
		defer stopRealm()
		o.keytab, user = keytab, u
		if o.hostname == "" {
			o.hostname = "localhost"
		}
		if o.realm == "mit" && o.constrained {
			log.Warn("constrained delegation with the embedded MIT realm: its KDC keeps no list of the services one may delegate to and refuses S4U2Proxy for any other service; /delegated calls this very service, for which MIT uses the user's ticket to it that the proxy credential holds, asking the KDC nothing; -realm ad shows a KDC's constrained delegation")
		}
	}

	gssOpts := []gss.Option{gss.WithKeytab(o.keytab), gss.WithService(o.service)}
	if o.hostname != "" {
		gssOpts = append(gssOpts, gss.WithHostname(o.hostname))
	}
	if o.constrained {
		// Under Heimdal, NewAcceptor fails here, saying why.
		gssOpts = append(gssOpts, gss.WithConstrainedDelegation())
	}
	acc, err := gss.NewAcceptor(gssOpts...)
	if err != nil {
		return err
	}
	defer acc.Close()

	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return err
	}
	app, err := newApp(acc, o, ln.Addr().(*net.TCPAddr), log)
	if err != nil {
		ln.Close()
		return err
	}
	defer app.close()

	srv := &http.Server{
		Handler:           app.handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("demo listening", "addr", ln.Addr().String(), "acceptor", acc.String(), "keytab_holds", keytabHolds(o.keytab))

	if o.selfcheck {
		err := selfcheck(app, user, stdout)
		shutdown(srv, log)
		return err
	}
	if user != nil && ctx.Err() == nil {
		printTryIt(stdout, user, app.port, o.sessionKeyFile != "", o.constrained)
	}

	select {
	case <-ctx.Done():
		log.Info("shutting down")
		shutdown(srv, log)
		return nil
	case err := <-served:
		return err
	}
}

// mitConstrainedNote says what -constrained-delegation shows, and does not,
// with the embedded MIT realm, as the instructions print it (the log
// says so too, at Warn).
const mitConstrainedNote = `This MIT realm's KDC keeps no list of the services one may delegate to,
and refuses S4U2Proxy for any other service; /delegated calls this very
service, for which MIT's library uses the user's ticket to it, which the
proxy credential holds, and asks the KDC nothing. -realm ad shows a KDC's
constrained delegation.`

// check refuses flags that contradict each other.
func (o *options) check() error {
	if o.realm == "ad" && o.keytab != "" {
		return errors.New("-realm ad starts a domain of its own, and -keytab serves with yours: give one or the other (for your own AD service, -keytab with the krb5.conf that names its domain)")
	}
	if o.realm == "ad" && o.realmDir != "" {
		return errors.New("-realm-dir keeps an MIT realm: -realm ad makes a new domain each run (under a second once the first has made its template) and removes it on exit")
	}
	return nil
}

// startEmbedded starts the embedded realm that -realm names and returns its
// keytab, its user with a ticket, and what stops it.
func startEmbedded(o options, log *slog.Logger) (keytab string, u *demoUser, stop func(), err error) {
	if o.realm == "ad" {
		d, u, err := startDomain(o.service, o.constrained, log)
		if err != nil {
			return "", nil, nil, err
		}
		return d.keytab, u, func() { d.close(log) }, nil
	}
	r, u, err := startRealm(o.realmDir, o.service, log)
	if err != nil {
		return "", nil, nil, err
	}
	return r.keytab, u, func() { r.close(log) }, nil
}

func shutdown(srv *http.Server, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		log.Warn("shutdown", "error", err)
	}
}

func printTryIt(w io.Writer, u *demoUser, port int, sessions, constrained bool) {
	delegate := "--delegation always "
	if constrained {
		delegate = ""
	}
	fmt.Fprintf(w, `
The demo %[7]s %[1]s is running, with the user %[2]s
(its password is in %[3]s). In another shell:

    export KRB5_CONFIG=%[4]s
    export KRB5CCNAME=%[5]s
    curl --negotiate -u : %[8]shttp://localhost:%[6]d/whoami
    curl --negotiate -u : %[8]shttp://localhost:%[6]d/delegated
`, u.realm, u.principal, u.passwordFile, u.krb5Config, u.ccache, port, u.kind, delegate)
	if constrained {
		fmt.Fprintf(w, `
Constrained delegation is on: curl delegates nothing, and /delegated still
calls /whoami as %[1]s, with a proxy credential; /info says
"delegation": "proxy". With --delegation always, curl forwards the TGT,
which /delegated uses instead.
`, u.principal)
		if u.userSID != "" {
			fmt.Fprintf(w, `The KDC gives the proxy credential tickets (S4U2Proxy) only for the
services the account %[1]s may delegate to: here its own SPN.
`, adServiceAccount)
		} else {
			fmt.Fprintln(w, mitConstrainedNote)
		}
	}
	if u.userSID != "" {
		fmt.Fprintf(w, "\n%s is %s, in Domain Users and\n", u.principal, u.userSID)
		for _, g := range u.groups {
			fmt.Fprintf(w, "    %-10s %s\n", g.name, g.sid)
		}
		fmt.Fprintf(w, "/info shows them as the ticket's PAC has them; -allow-group SID lets in only a group's members.\n")
	}
	if sessions {
		fmt.Fprintf(w, `
Sessions are on: negotiate once and keep the cookie in a jar, then use the
cookie alone, with no ticket:

    curl --negotiate -u : -c cookies.txt -b cookies.txt http://localhost:%[1]d/whoami
    curl -b cookies.txt http://localhost:%[1]d/whoami
`, port)
	}
	fmt.Fprintf(w, `
%[1]s already has a ticket in that cache; "kinit %[1]s" gets a new one.
Press Ctrl-C to stop; %[2]s

`, u.principal, u.onExit)
}

// keytabHolds says which principals the keytab holds, for the start-up
// line: an operator who sees them knows which -hostname to give.
func keytabHolds(path string) string {
	ps, err := gss.KeytabPrincipals(path)
	if err != nil {
		return "(unreadable)"
	}
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.String()
	}
	return strings.Join(names, ", ")
}
