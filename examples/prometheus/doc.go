// Package promexample counts the middleware's decisions in [Prometheus]
// metrics from its outcome hook (middleware.WithOutcomeHook): requests by
// route, reason and status, and the time spent authenticating. The hook
// gets the request, whose Pattern names the route when the middleware
// wraps the handlers of an http.ServeMux: a label of few values, unlike
// the path.
//
// [Prometheus]: https://prometheus.io
package promexample
