package main

import (
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/negotiate-go/negotiate/middleware"
)

// checkAuth makes sure s, at addr, authenticates before it is loaded: a
// request with a fresh token gets 200, and, for a server that
// authenticates, one without a token gets 401. For a session server the
// 200 must set the session cookie, and a request with that cookie alone
// must get 200 for the same principal (the body).
func checkAuth(addr, token string, s server) error {
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	withToken, err := get(c, addr, "Authorization", "Negotiate "+token)
	if err != nil || withToken.status != http.StatusOK {
		return fmt.Errorf("with a fresh token: status %d, %v; want 200", withToken.status, err)
	}
	if s.session {
		if withToken.cookie == "" {
			return fmt.Errorf("with a fresh token: no %s cookie set", middleware.InsecureSessionCookieName)
		}
		withCookie, err := get(c, addr, "Cookie", withToken.cookie)
		if err != nil || withCookie.status != http.StatusOK {
			return fmt.Errorf("with the session cookie alone: status %d, %v; want 200", withCookie.status, err)
		}
		if withCookie.body != withToken.body {
			return fmt.Errorf("with the session cookie alone: body %q, want %q as with the token", withCookie.body, withToken.body)
		}
	}
	want := http.StatusOK
	if s.auth {
		want = http.StatusUnauthorized
	}
	if none, err := get(c, addr, "", ""); err != nil || none.status != want {
		return fmt.Errorf("without a token: status %d, %v; want %d", none.status, err, want)
	}
	return nil
}

// reply is what checkAuth looks at in a response.
type reply struct {
	status int
	body   string
	cookie string // "name=value" of the session cookie it sets, if any
}

// get sends GET /ok to addr with the header key: value, none if key is "".
func get(c *http.Client, addr, key, value string) (reply, error) {
	req, err := http.NewRequest("GET", "http://"+addr+"/ok", nil)
	if err != nil {
		return reply{}, err
	}
	req.Host = "localhost"
	if key != "" {
		req.Header.Set(key, value)
	}
	resp, err := c.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return reply{status: resp.StatusCode, body: string(body), cookie: sessionCookie(resp)}, err
}
