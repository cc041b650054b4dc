package middleware

import (
	"encoding/base64"
	"io"
	"net/http"
)

// negotiateHeader returns the WWW-Authenticate value that carries the
// acceptor's output token (RFC 4559 section 5).
func negotiateHeader(tok []byte) string {
	// A Kerberos AP-REP fits the stack buffer, so the string is the only
	// allocation.
	var buf [512]byte
	b := append(buf[:0], scheme+" "...)
	b = base64.StdEncoding.AppendEncode(b, tok)
	return string(b)
}

// respond answers a refused request with resp: its handler, which reads err
// with FailureFromContext, or its status and text body. With challenge set,
// the response carries "WWW-Authenticate: Negotiate", unless a handler sets
// its own WWW-Authenticate.
func respond(w http.ResponseWriter, r *http.Request, resp response, err error, challenge bool) {
	if resp.handler == nil {
		writeText(w, resp.status, resp.body, challenge)
		return
	}
	r = r.WithContext(NewContext(r.Context(), &Auth{Err: err}))
	if !challenge {
		resp.handler.ServeHTTP(w, r)
		return
	}
	cw := &challengeWriter{ResponseWriter: w}
	resp.handler.ServeHTTP(cw, r)
	cw.challenge() // the handler may have written nothing
}

// writeText writes a plain text response, as http.Error does but with the
// body verbatim.
func writeText(w http.ResponseWriter, status int, body string, challenge bool) {
	h := w.Header()
	if challenge {
		h.Set("Www-Authenticate", scheme)
	}
	h.Del("Content-Length")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// challengeWriter adds "WWW-Authenticate: Negotiate" to a custom handler's
// response when the header is about to be sent, unless the handler set a
// WWW-Authenticate of its own by then. It wraps w only on that path: a
// request that authenticated gets the writer unwrapped.
type challengeWriter struct {
	http.ResponseWriter
	done bool
}

func (c *challengeWriter) challenge() {
	if c.done {
		return
	}
	c.done = true
	h := c.ResponseWriter.Header()
	if _, ok := h["Www-Authenticate"]; !ok {
		h.Set("Www-Authenticate", scheme)
	}
}

func (c *challengeWriter) WriteHeader(code int) {
	if code >= 200 { // an informational status does not send the final header
		c.challenge()
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *challengeWriter) Write(p []byte) (int, error) {
	c.challenge()
	return c.ResponseWriter.Write(p)
}

// Flush and FlushError send the header too, so that neither an
// http.Flusher nor an http.ResponseController bypasses the challenge.
func (c *challengeWriter) Flush() { c.FlushError() }

func (c *challengeWriter) FlushError() error {
	c.challenge()
	return http.NewResponseController(c.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the other methods of the
// underlying writer: Hijack, SetReadDeadline, EnableFullDuplex, ...
func (c *challengeWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }
