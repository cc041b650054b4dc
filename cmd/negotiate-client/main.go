// Command negotiate-client fetches a URL with HTTP Negotiate (SPNEGO,
// RFC 4559), like `curl --negotiate -u :`, and verifies the server's
// mutual-authentication reply.
//
//	negotiate-client [-ccache FILE:/path] [-delegate] [-preemptive]
//	                 [-mutual required|optional|disabled] [-spn HTTP@host] [-v] URL
//
// It sends the request without a token and answers a 401 Negotiate
// challenge with one, so that a public URL is fetched without Kerberos and
// a host that does not ask gets no token (package client's default).
// -preemptive sends the token with the first request instead, as curl
// --negotiate does.
// With -delegate it still waits for the challenge before it sends the
// user's ticket-granting ticket to a host: only a host that challenged
// earlier in the same run (before a redirect to it, say) gets the
// delegating token up front.
//
// -mutual sets how strictly the server's proof of identity, its reply
// token, is checked: required (the default) fails a response to a token
// that carries no proof; optional accepts a response with none, but still
// fails one whose token does not verify; disabled checks nothing. A
// response to a request that carried no token proves nothing, and needs
// no proof.
//
// It prints the response body, and exits 0 only for a 2xx response that
// passed that check; 1 for any other response or failure; 2 for bad usage.
// With -v it writes the status line to stderr, then a line saying whether
// a token went and what the server answered to it. The credentials come
// from -ccache, else from KRB5CCNAME.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/negotiate-go/negotiate/client"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

const usage = "usage: negotiate-client [-ccache NAME] [-delegate] [-preemptive] [-mutual required|optional|disabled] [-spn SERVICE@HOST] [-v] URL"

var mutualModes = map[string]client.MutualAuth{
	client.MutualRequired.String(): client.MutualRequired,
	client.MutualOptional.String(): client.MutualOptional,
	client.MutualDisabled.String(): client.MutualDisabled,
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("negotiate-client", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ccache := fs.String("ccache", "", "credential cache to use (default: KRB5CCNAME)")
	delegate := fs.Bool("delegate", false, "forward the user's ticket-granting ticket to a server that challenges")
	preemptive := fs.Bool("preemptive", false, "send the token with the first request, before any challenge\n(with -delegate, only to a host that challenged before)")
	mutual := fs.String("mutual", "required", "check of the server's proof of identity: required, optional or disabled")
	spn := fs.String("spn", "", "service name as SERVICE@HOST (default: HTTP@ the URL's host)")
	verbose := fs.Bool("v", false, "print the response status, and whether a token went, to stderr")
	fs.Usage = func() {
		fmt.Fprintln(stderr, usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	mode, ok := mutualModes[*mutual]
	if fs.NArg() != 1 || !ok {
		if !ok {
			fmt.Fprintf(stderr, "negotiate-client: -mutual %q: want required, optional or disabled\n", *mutual)
		}
		fs.Usage()
		return 2
	}

	w := &watch{rt: http.DefaultTransport}
	opts := []client.Option{client.WithBase(w), client.WithMutualAuth(mode)}
	if *ccache != "" {
		opts = append(opts, client.WithCCache(*ccache))
	}
	if *delegate {
		opts = append(opts, client.WithDelegation(client.DelegateAlways))
	}
	if *preemptive {
		opts = append(opts, client.WithPreemptive())
	}
	if *spn != "" {
		opts = append(opts, client.WithSPN(func(*http.Request) string { return *spn }))
	}
	t, err := client.New(opts...)
	if err != nil {
		fmt.Fprintln(stderr, "negotiate-client:", err)
		return 1
	}
	defer t.Close()

	resp, err := (&http.Client{Transport: t}).Get(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(stderr, "negotiate-client:", err)
		return 1
	}
	defer resp.Body.Close()
	if *verbose {
		fmt.Fprintln(stderr, resp.Proto, resp.Status)
		fmt.Fprintln(stderr, "negotiate-client:", w.summary(resp, mode))
	}
	if _, err := io.Copy(stdout, resp.Body); err != nil {
		fmt.Fprintln(stderr, "negotiate-client:", err)
		return 1
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		fmt.Fprintln(stderr, "negotiate-client:", resp.Status)
		return 1
	}
	return 0
}

// watch is the client's base transport. It notes whether the last request
// carried a Negotiate token and whether its response carried one back, for
// -v. The client calls it from one goroutine at a time: one request, then
// each redirect.
type watch struct {
	rt          http.RoundTripper
	sent, reply bool
}

func (w *watch) RoundTrip(r *http.Request) (*http.Response, error) {
	w.sent = strings.HasPrefix(r.Header.Get("Authorization"), "Negotiate ")
	w.reply = false
	resp, err := w.rt.RoundTrip(r)
	if err == nil {
		for _, v := range resp.Header.Values("WWW-Authenticate") {
			scheme, rest, _ := strings.Cut(strings.TrimSpace(v), " ")
			w.reply = w.reply || strings.EqualFold(scheme, "Negotiate") && strings.TrimSpace(rest) != ""
		}
	}
	return resp, err
}

// summary says, for the final response resp, whether a token went and
// what the server answered to it. The client returned resp, so whatever
// mode asked for passed.
func (w *watch) summary(resp *http.Response, mode client.MutualAuth) string {
	switch {
	case !w.sent:
		return "no token sent: the server did not challenge"
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return "token sent; the server refused it"
	case mode == client.MutualDisabled:
		return "token sent; the server's reply not checked (-mutual disabled)"
	case w.reply:
		return "token sent; the server proved its identity"
	}
	return "token sent; the server sent no proof (-mutual optional)"
}
