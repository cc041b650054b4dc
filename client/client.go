// Package client is the client side of HTTP Negotiate (RFC 4559): an
// [http.RoundTripper] that answers a server's Negotiate challenge with a
// fresh SPNEGO token and verifies the server's mutual-authentication reply.
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
// # Challenge first
//
// By default a request goes out as the caller made it, with no
// Authorization header. A response that is not a Negotiate challenge (a
// 401 whose WWW-Authenticate offers Negotiate) is returned as it is: a
// public endpoint works, and a host that did not ask for Negotiate gets no
// token, let alone the user's delegated credential. RoundTrip answers a
// challenge once: it reads a little of the 401's body and closes it, so
// that the connection can be reused, and sends the request again with a
// fresh token. The answer to that retry is final, another 401 included.
//
// [WithPreemptive] sends the token with the first request instead, saving
// the round trip; delegation is then preemptive only to origins that have
// challenged the Transport before.
//
// # Request bodies
//
// The retry sends the request body again: RoundTrip takes a fresh copy
// from req.GetBody, which [http.NewRequest] sets for a *bytes.Buffer,
// *bytes.Reader or *strings.Reader body. A request that has a body but no
// GetBody cannot be sent twice: RoundTrip then returns the 401 challenge
// as it is, its body unread, as [http.Client] returns a 307 it cannot
// follow. To send such a body, set GetBody, or use WithPreemptive: the
// body then goes once, with the token (with a delegation policy, once the
// origin has challenged the Transport).
//
// # Tokens and redirects
//
// Every token is new, and RoundTrip never sends one twice: the server's
// replay cache would refuse it. http.Client calls RoundTrip again for each
// redirect, so each hop is challenged on its own and gets its own token for
// its own host; with delegation on, a host that challenged receives the
// user's credential too, if the KDC lets it.
//
// # Mutual authentication
//
// A response to a request that carried a token, other than 401 or 403,
// must carry "WWW-Authenticate: Negotiate <token>" that completes the
// context: proof that the server holds the service key. Otherwise
// RoundTrip closes the body and returns an error wrapping [ErrMutualAuth].
// A 401 or 403 is returned as it is: the server refused the token, and
// refusals carry no proof. A response to a request that carried no token
// proves nothing and is not checked. [WithMutualAuth] relaxes the rule as
// requests-kerberos's mutual_authentication does: [MutualOptional] accepts
// a response that carries no token, though a token that does not verify
// still fails, and [MutualDisabled] checks nothing.
package client

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
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
	base       http.RoundTripper
	ini        *gss.Initiator
	flags      negotiate.Flags
	mutual     MutualAuth
	preemptive bool
	spn        func(*http.Request) string
	challenged originSet // used in preemptive mode only
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
	return &Transport{
		base: c.base, ini: ini, flags: c.flags, mutual: c.mutual,
		preemptive: c.preemptive, spn: c.spn,
	}, nil
}

func defaultSPN(r *http.Request) string { return "HTTP@" + r.URL.Hostname() }

// Close releases the credentials New acquired. It is idempotent.
func (t *Transport) Close() error { return t.ini.Close() }

// RoundTrip sends req, answers a Negotiate challenge once with a fresh
// token, and checks the server's mutual-authentication reply, as the
// package documentation describes. It does not modify req.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	o := origin(req.URL)
	first := req
	var ctx *gss.ClientContext
	if t.preemptive && (t.flags == 0 || t.challenged.has(o)) {
		var err error
		first, ctx, err = t.withToken(req, req.Body)
		if err != nil {
			closeBody(req)
			return nil, err
		}
		defer ctx.Close()
	}
	resp, err := t.base.RoundTrip(first)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusUnauthorized || !offersNegotiate(resp.Header.Values("WWW-Authenticate")) {
		if ctx == nil {
			return resp, nil // no token went, so there is nothing to verify
		}
		return t.verify(req, resp, ctx)
	}

	// A Negotiate challenge: one retry, with a fresh token.
	if t.preemptive {
		t.challenged.add(o)
	}
	rewind := hasBody(req)
	if rewind && req.GetBody == nil {
		return resp, nil // the body is spent and cannot be sent again
	}
	discard(resp)
	ctx2, token, err := t.ini.Start(t.spn(req), t.flags)
	if err != nil {
		return nil, fmt.Errorf("negotiate client: %w", err)
	}
	defer ctx2.Close()
	body := req.Body
	if rewind {
		if body, err = req.GetBody(); err != nil {
			return nil, fmt.Errorf("negotiate client: rewind the request body to answer the challenge: %w", err)
		}
	}
	resp, err = t.base.RoundTrip(authorized(req, body, token))
	if err != nil {
		return nil, err
	}
	return t.verify(req, resp, ctx2)
}

// withToken starts a context for req and returns a copy of req that
// carries body and the context's token.
func (t *Transport) withToken(req *http.Request, body io.ReadCloser) (*http.Request, *gss.ClientContext, error) {
	ctx, token, err := t.ini.Start(t.spn(req), t.flags)
	if err != nil {
		return nil, nil, fmt.Errorf("negotiate client: %w", err)
	}
	return authorized(req, body, token), ctx, nil
}

// authorized returns a copy of req with body and "Authorization: Negotiate
// <token>".
func authorized(req *http.Request, body io.ReadCloser, token []byte) *http.Request {
	out := req.Clone(req.Context())
	out.Body = body
	out.Header.Set("Authorization", "Negotiate "+base64.StdEncoding.EncodeToString(token))
	return out
}

// hasBody reports whether req has a body to send. For client requests a
// nil Body and http.NoBody both mean none.
func hasBody(req *http.Request) bool { return req.Body != nil && req.Body != http.NoBody }

// maxDiscard is how much of a challenge's body RoundTrip reads before it
// closes it, so that the connection can carry the retry; net/http drains a
// redirect's body the same way.
const maxDiscard = 2 << 10

// discard reads a little of resp's body and closes it.
func discard(resp *http.Response) {
	if resp.ContentLength == -1 || resp.ContentLength <= maxDiscard {
		io.CopyN(io.Discard, resp.Body, maxDiscard)
	}
	resp.Body.Close()
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
