package main

import (
	"fmt"
	"io"
	"net/http"
	"time"
)

// checkAuth makes sure a server authenticates before it is loaded: a request
// with a fresh token gets 200, and, for a server that authenticates, one
// without a token gets 401.
func checkAuth(addr, token string, auth bool) error {
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	if got, err := status(c, addr, token); err != nil || got != http.StatusOK {
		return fmt.Errorf("with a fresh token: status %d, %v; want 200", got, err)
	}
	want := http.StatusOK
	if auth {
		want = http.StatusUnauthorized
	}
	if got, err := status(c, addr, ""); err != nil || got != want {
		return fmt.Errorf("without a token: status %d, %v; want %d", got, err, want)
	}
	return nil
}

func status(c *http.Client, addr, token string) (int, error) {
	req, err := http.NewRequest("GET", "http://"+addr+"/ok", nil)
	if err != nil {
		return 0, err
	}
	req.Host = "localhost"
	if token != "" {
		req.Header.Set("Authorization", "Negotiate "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}
