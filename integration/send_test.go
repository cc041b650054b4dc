package integration

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"testing"
	"time"
)

// reply is a response, read in full.
type reply struct {
	status int
	header http.Header
	body   string
	conn   string // the client's address on the connection that carried it
}

// challenges returns the WWW-Authenticate values of the reply.
func (r reply) challenges() []string { return r.header.Values("WWW-Authenticate") }

// send sends GET path with authorization as the Authorization header (none
// if it is ""). It is safe to call from any goroutine.
func (s *server) send(path, authorization string) (reply, error) {
	if authorization == "" {
		return s.sendValues(path, nil)
	}
	return s.sendValues(path, []string{authorization})
}

// get is send for the test's own goroutine: it fails the test on a
// transport error.
func (s *server) get(t *testing.T, path, authorization string) reply {
	t.Helper()
	r, err := s.send(path, authorization)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return r
}

// sendValues sends GET path with the Authorization values as separate
// header lines.
func (s *server) sendValues(path string, vals []string) (reply, error) {
	req, err := http.NewRequest(http.MethodGet, s.url+path, nil)
	if err != nil {
		return reply{}, err
	}
	for _, v := range vals {
		req.Header.Add("Authorization", v)
		s.remember(v)
	}
	return s.roundTrip(req)
}

// roundTrip sends req with the server's client, reads the reply and
// remembers the tokens in its challenges.
func (s *server) roundTrip(req *http.Request) (reply, error) {
	var conn string
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		GotConn: func(c httptrace.GotConnInfo) { conn = c.Conn.LocalAddr().String() },
	}))
	resp, err := s.client.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	for _, c := range resp.Header.Values("WWW-Authenticate") {
		s.remember(c)
	}
	return reply{resp.StatusCode, resp.Header, string(body), conn}, nil
}

// sendRaw sends "GET path" with the header lines over a new connection and
// reads the reply while it writes, so that a server that answers before it
// has read everything, with a 431 say, is heard. It is for what net/http's
// client will not send.
func sendRaw(s *server, path string, lines ...string) (reply, error) {
	addr := strings.TrimPrefix(s.url, "http://")
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return reply{}, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	var req bytes.Buffer
	fmt.Fprintf(&req, "GET %s HTTP/1.1\r\nHost: %s\r\n", path, addr)
	for _, l := range lines {
		req.WriteString(l + "\r\n")
	}
	req.WriteString("Connection: close\r\n\r\n")
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		conn.Write(req.Bytes()) // fails once the server closes early: fine
	}()
	defer func() { conn.Close(); <-wrote }()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return reply{}, fmt.Errorf("no response: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	return reply{resp.StatusCode, resp.Header, string(body), conn.LocalAddr().String()}, nil
}

// mutualToken returns the token of the reply's "WWW-Authenticate:
// Negotiate <token>", failing the test unless there is exactly one such
// header.
func mutualToken(t *testing.T, r reply) []byte {
	t.Helper()
	c := r.challenges()
	if len(c) != 1 {
		t.Fatalf("WWW-Authenticate %q, want one Negotiate value with a token", c)
	}
	b64, ok := strings.CutPrefix(c[0], "Negotiate ")
	if !ok {
		t.Fatalf("WWW-Authenticate %q, want Negotiate <token>", c[0])
	}
	tok, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(tok) == 0 {
		t.Fatalf("WWW-Authenticate %q: not a base64 token: %v", c[0], err)
	}
	return tok
}
