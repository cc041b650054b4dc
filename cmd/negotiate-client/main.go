// Command negotiate-client fetches a URL with HTTP Negotiate (SPNEGO,
// RFC 4559), like `curl --negotiate -u :`, and verifies the server's
// mutual-authentication reply.
//
//	negotiate-client [-ccache FILE:/path] [-delegate] [-spn HTTP@host] URL
//
// It prints the response body and exits 0 only for a 2xx response that
// proved the server's identity; 1 for any other response or failure; 2 for
// bad usage. The credentials come from -ccache, else from KRB5CCNAME.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/negotiate-go/negotiate/client"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("negotiate-client", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ccache := fs.String("ccache", "", "credential cache to use (default: KRB5CCNAME)")
	delegate := fs.Bool("delegate", false, "forward the user's ticket-granting ticket to the server")
	spn := fs.String("spn", "", "service name as SERVICE@HOST (default: HTTP@ the URL's host)")
	verbose := fs.Bool("v", false, "print the response status to stderr")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: negotiate-client [-ccache NAME] [-delegate] [-spn SERVICE@HOST] [-v] URL")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}

	var opts []client.Option
	if *ccache != "" {
		opts = append(opts, client.WithCCache(*ccache))
	}
	if *delegate {
		opts = append(opts, client.WithDelegation(client.DelegateAlways))
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
