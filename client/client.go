// Package client is the client side of HTTP Negotiate (RFC 4559): an
// [http.RoundTripper] that authenticates each request with a fresh SPNEGO
// token and verifies the server's mutual-authentication reply.
//
// Its credentials come from a credential cache named explicitly or from a
// credential a client delegated to this server, never from a change to the
// process environment, so a server can call other services as each of its
// users at once (a double hop):
//
//	auth, _ := middleware.FromContext(r.Context())
//	t, err := client.New(client.WithCredential(auth.Delegated))
//	if err != nil { ... }
//	defer t.Close()
//	resp, err := (&http.Client{Transport: t}).Get("http://backend.example.com/")
//
// # Tokens and retries
//
// Every call of RoundTrip makes a new token, and RoundTrip never sends one
// twice: the server's replay cache would refuse it. http.Client calls
// RoundTrip again for each redirect, so each hop gets its own token for its
// own host; with delegation on, that host receives the user's credential
// too, if the KDC lets it.
//
// # Mutual authentication
//
// A response other than 401 or 403 must carry "WWW-Authenticate: Negotiate
// <token>" that completes the context: proof that the server holds the
// service key. Otherwise RoundTrip closes the body and returns an error
// wrapping [ErrMutualAuth]. A 401 or 403 is returned as it is: the server
// refused the token, and refusals carry no proof. [WithMutualAuth] relaxes
// the rule as requests-kerberos's mutual_authentication does:
// [MutualOptional] accepts a response that carries no token, though a token
// that does not verify still fails, and [MutualDisabled] checks nothing.
package client

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"

	"github.com/negotiate-go/negotiate"
	"github.com/negotiate-go/negotiate/gss"
)

// ErrMutualAuth is wrapped by the error RoundTrip returns when a response
// does not prove the server's identity.
var ErrMutualAuth = errors.New("negotiate client: server failed mutual authentication")

// Transport authenticates requests with HTTP Negotiate. It is safe for
// concurrent use. Close releases its credentials.
type Transport struct {
	base   http.RoundTripper
	ini    *gss.Initiator
	flags  negotiate.Flags
	mutual MutualAuth
	spn    func(*http.Request) string
}

// New acquires the user's credentials and returns a Transport. It fails if
// they are missing or expired.
func New(opts ...Option) (*Transport, error) {
	c := config{base: http.DefaultTransport, spn: defaultSPN}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	ini, err := gss.NewInitiator(c.source...)
	if err != nil {
		return nil, fmt.Errorf("negotiate client: %w", err)
	}
	return &Transport{base: c.base, ini: ini, flags: c.flags, mutual: c.mutual, spn: c.spn}, nil
}

func defaultSPN(r *http.Request) string { return "HTTP@" + r.URL.Hostname() }

// Close releases the credentials New acquired. It is idempotent.
func (t *Transport) Close() error { return t.ini.Close() }

// RoundTrip sends req with a fresh Negotiate token and checks the server's
// mutual-authentication reply, as the package documentation describes. It
// does not modify req.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, token, err := t.ini.Start(t.spn(req), t.flags)
	if err != nil {
		closeBody(req)
		return nil, fmt.Errorf("negotiate client: %w", err)
	}
	defer ctx.Close()

	out := req.Clone(req.Context())
	out.Header.Set("Authorization", "Negotiate "+base64.StdEncoding.EncodeToString(token))
	resp, err := t.base.RoundTrip(out)
	if err != nil {
		return nil, err
	}
	return t.verify(req, resp, ctx)
}

// verify checks the server's proof on resp, the answer to a request that
// carried ctx's token, as the mutual-authentication mode asks. It returns
// resp, or closes its body and returns an error wrapping ErrMutualAuth.
func (t *Transport) verify(req *http.Request, resp *http.Response, ctx *gss.ClientContext) (*http.Response, error) {
	if t.mutual == MutualDisabled ||
		resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return resp, nil
	}
	reply, sent, ok := serverToken(resp.Header.Values("WWW-Authenticate"))
	var err error
	switch {
	case !sent && t.mutual == MutualOptional:
		return resp, nil
	case !sent:
		err = fmt.Errorf("%w: %s answered %s without a Negotiate token", ErrMutualAuth, req.URL.Host, resp.Status)
	case !ok:
		err = fmt.Errorf("%w: %s answered %s with a Negotiate token that is not base64", ErrMutualAuth, req.URL.Host, resp.Status)
	default:
		if ferr := ctx.Finish(reply); ferr != nil {
			err = fmt.Errorf("%w: %s: %v", ErrMutualAuth, req.URL.Host, ferr)
		}
	}
	if err != nil {
		resp.Body.Close()
		return nil, err
	}
	return resp, nil
}

// closeBody closes a request body RoundTrip will not send, as the
// RoundTripper contract asks.
func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}
