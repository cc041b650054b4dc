package promexample_test

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/negotiate-go/negotiate/examples/internal/fake"
	"github.com/negotiate-go/negotiate/middleware"
)

// metrics are the middleware's metrics, registered in a registry.
type metrics struct {
	requests *prometheus.CounterVec
	seconds  *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	return &metrics{
		requests: promauto.With(reg).NewCounterVec(prometheus.CounterOpts{
			Name: "negotiate_requests_total",
			Help: `Requests the Negotiate middleware decided, by route, reason ("ok" when let in) and status ("next" when the handler ran).`,
		}, []string{"route", "reason", "status"}),
		seconds: promauto.With(reg).NewHistogramVec(prometheus.HistogramOpts{
			Name:    "negotiate_authentication_seconds",
			Help:    "Time spent authenticating a request: the accept, or opening a session cookie.",
			Buckets: prometheus.ExponentialBuckets(25e-6, 2, 12), // 25 µs to 51 ms
		}, []string{"route"}),
	}
}

// hook is the middleware's outcome hook.
func (m *metrics) hook(r *http.Request, o middleware.Outcome) {
	if o.Inherited {
		return // a handler earlier in the chain authenticated it, and counted it
	}
	reason, status := o.Reason, strconv.Itoa(o.Status)
	if reason == "" {
		reason = "ok"
	}
	if o.Status == 0 {
		status = "next"
	}
	m.requests.WithLabelValues(r.Pattern, reason, status).Inc()
	m.seconds.WithLabelValues(r.Pattern).Observe(o.Duration.Seconds())
}

// The outcome hook feeds Prometheus counters, which promhttp serves for
// scraping.
func Example() {
	reg := prometheus.NewRegistry()
	m := newMetrics(reg)
	mw, err := middleware.New(new(fake.Acceptor), // a *gss.Acceptor in a server
		middleware.WithLogger(slog.New(slog.DiscardHandler)),
		middleware.WithOutcomeHook(m.hook))
	if err != nil {
		panic(err)
	}
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := middleware.PrincipalFromContext(r.Context())
		fmt.Fprintf(w, "hello %q", p)
	})
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", mw.Optional(hello))
	mux.Handle("GET /whoami", mw.Require(hello))
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	get := func(path, auth string) string {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := srv.Client().Do(req)
		if err != nil {
			panic(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	get("/", "")
	get("/", fake.Token("alice"))
	get("/whoami", fake.Token("alice"))
	get("/whoami", fake.Token("bob"))
	get("/whoami", "")
	replayed := fake.Token("bob")
	get("/whoami", replayed)
	get("/whoami", replayed)

	// What a Prometheus server scrapes, its comments and buckets left out.
	sc := bufio.NewScanner(strings.NewReader(get("/metrics", "")))
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "negotiate_requests_total") ||
			strings.HasPrefix(line, "negotiate_authentication_seconds_count") {
			fmt.Println(line)
		}
	}
	// Output:
	// negotiate_authentication_seconds_count{route="GET /whoami"} 5
	// negotiate_authentication_seconds_count{route="GET /{$}"} 2
	// negotiate_requests_total{reason="no_credentials",route="GET /whoami",status="401"} 1
	// negotiate_requests_total{reason="no_credentials",route="GET /{$}",status="next"} 1
	// negotiate_requests_total{reason="ok",route="GET /whoami",status="next"} 3
	// negotiate_requests_total{reason="ok",route="GET /{$}",status="next"} 1
	// negotiate_requests_total{reason="replay",route="GET /whoami",status="403"} 1
}
