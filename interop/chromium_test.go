package interop

import (
	"encoding/json"
	"html"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// chromiumTimeout bounds one headless Chromium run.
const chromiumTimeout = 60 * time.Second

// chromiumLocalState seeds a fresh profile. Chromium 156 would not answer a
// Negotiate challenge in a fresh profile until the profile had once seen
// one and the browser had restarted (DESIGN.md, "Browsers"). The second
// pref allows delegation to localhost, because this build has dropped the
// --auth-negotiate-delegate-allowlist switch.
const chromiumLocalState = `{"net":{"received_http_auth_negotiate_headers":true},"auth":{"negotiate_delegate_whitelist":"localhost"}}`

// chromiumArgs are the switches for loading url headless in profile and
// dumping the DOM, with a net log written to netLog.
func chromiumArgs(profile, netLog, url string) []string {
	return []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--auth-server-allowlist=localhost",
		"--user-data-dir=" + profile,
		// Chromium still fetches the time, updates and accounts from Google
		// at start-up. Only localhost resolves. Everything else goes to a
		// proxy that does not resolve either. Loopback bypasses proxies.
		"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
		"--proxy-server=http://127.0.0.1:9",
		"--log-net-log=" + netLog,
		"--dump-dom", url,
	}
}

// preRE finds the text of the <pre> in which Chromium shows a text/plain
// page.
var preRE = regexp.MustCompile(`(?s)<pre[^>]*>(.*?)</pre>`)

// fetchChromium loads the route in headless Chromium with a fresh seeded
// profile. The body is the page's text from the dumped DOM. The status and
// the mutual-authentication token come from the net log.
func (tl *tools) fetchChromium(t *testing.T, d *demo, r route) response {
	dir := t.TempDir()
	profile, netLog := filepath.Join(dir, "profile"), filepath.Join(dir, "netlog.json")
	if err := os.Mkdir(profile, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(profile, "Local State"), []byte(chromiumLocalState), 0o600); err != nil {
		t.Fatal(err)
	}
	// A private HOME keeps Chromium's NSS database and caches out of the
	// user's.
	env := d.clientEnv("HOME="+dir, "XDG_CONFIG_HOME="+dir, "XDG_CACHE_HOME="+dir)
	target := d.base + r.path
	dom, _ := runClient(t, chromiumTimeout, env, tl.chromium, chromiumArgs(profile, netLog, target)...)

	m := preRE.FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("no <pre> in Chromium's DOM:\n%s", dom)
	}
	nl := readNetLog(t, netLog)
	for _, addr := range nl.tcpConnects {
		if !isLoopback(addr) {
			t.Errorf("Chromium opened a TCP connection to %s, not to loopback", addr)
		}
	}
	if others := nl.otherHosts("localhost"); len(others) > 0 {
		t.Logf("Chromium tried to reach %s; only localhost resolves", strings.Join(others, ", "))
	}
	last := nl.responses[target]
	return response{status: statusOf(strings.Join(last, "\n")), body: html.UnescapeString(m[1]), mutual: hasToken(last)}
}

// netLog is what the test reads from a Chromium net log (--log-net-log).
type netLog struct {
	urls        []string            // every URL requested, in order
	responses   map[string][]string // per URL, the headers of the last response: status line first
	tcpConnects []string            // every address of a TCP connect attempt
}

// netLogFile is the part of the net log's JSON the test decodes.
type netLogFile struct {
	Constants struct {
		LogEventTypes map[string]int `json:"logEventTypes"`
	} `json:"constants"`
	Events []struct {
		Type   int `json:"type"`
		Source struct {
			ID int `json:"id"`
		} `json:"source"`
		Params struct {
			URL     string   `json:"url"`
			Headers []string `json:"headers"`
			Address string   `json:"address"`
		} `json:"params"`
	} `json:"events"`
}

// readNetLog decodes the net log. It ties each response to its URL through
// the request's source ID.
func readNetLog(t *testing.T, path string) netLog {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("Chromium's net log: %v", err)
	}
	var f netLogFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("Chromium's net log %s: %v", path, err)
	}
	types := f.Constants.LogEventTypes
	nl := netLog{responses: map[string][]string{}}
	urlOf := map[int]string{} // source ID -> URL of the request
	for _, e := range f.Events {
		switch e.Type {
		case types["REQUEST_ALIVE"]:
			if e.Params.URL != "" {
				urlOf[e.Source.ID] = e.Params.URL
				nl.urls = append(nl.urls, e.Params.URL)
			}
		case types["HTTP_TRANSACTION_READ_RESPONSE_HEADERS"]:
			nl.responses[urlOf[e.Source.ID]] = e.Params.Headers
		case types["TCP_CONNECT_ATTEMPT"]:
			// The attempt's end event carries no address.
			if e.Params.Address != "" {
				nl.tcpConnects = append(nl.tcpConnects, e.Params.Address)
			}
		}
	}
	return nl
}

// otherHosts lists, once each and in order, the hosts other than host
// that Chromium requested.
func (nl netLog) otherHosts(host string) []string {
	var hosts []string
	for _, u := range nl.urls {
		p, err := url.Parse(u)
		if err == nil && p.Hostname() != host && !slices.Contains(hosts, p.Hostname()) {
			hosts = append(hosts, p.Hostname())
		}
	}
	return hosts
}

// hasToken reports whether headers carry "WWW-Authenticate: Negotiate
// <token>". The net log replaces the token with "[N bytes were stripped]".
func hasToken(headers []string) bool {
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ":")
		scheme, token, _ := strings.Cut(strings.TrimSpace(value), " ")
		if strings.EqualFold(name, "WWW-Authenticate") && strings.EqualFold(scheme, "Negotiate") && token != "" {
			return true
		}
	}
	return false
}

// isLoopback reports whether addr ("host:port") is a loopback address.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	ip := net.ParseIP(host)
	return err == nil && ip != nil && ip.IsLoopback()
}
