package client

import (
	"fmt"
	"net/url"
	"testing"
)

func TestOrigin(t *testing.T) {
	for _, tt := range []struct{ url, want string }{
		{"http://Example.COM/a?b", "http://example.com:80"},
		{"HTTP://example.com:80/", "http://example.com:80"},
		{"https://example.com", "https://example.com:443"},
		{"https://example.com:8443/x", "https://example.com:8443"},
		{"http://[::1]:8080/", "http://[::1]:8080"},
		{"http://[::1]/", "http://[::1]:80"},
	} {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := origin(u); got != tt.want {
			t.Errorf("origin(%q) = %q, want %q", tt.url, got, tt.want)
		}
	}
}

func TestOriginSetIsCapped(t *testing.T) {
	var s originSet
	for i := range maxOrigins + 10 {
		s.add(fmt.Sprintf("http://h%d:80", i))
	}
	if len(s.m) != maxOrigins {
		t.Errorf("%d origins kept, want the cap, %d", len(s.m), maxOrigins)
	}
	last := fmt.Sprintf("http://h%d:80", maxOrigins+9)
	if !s.has(last) {
		t.Errorf("the last origin added, %s, was forgotten", last)
	}
	if s.has("http://h0:443") {
		t.Error("an origin never added is known")
	}
}
