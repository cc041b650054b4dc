// Package otelexample adds the middleware's decision to the request's
// [OpenTelemetry] span from its outcome hook (middleware.WithOutcomeHook),
// which gets the request: its context holds the span that a tracing
// handler in front of the middleware started, otelhttp's say.
//
// [OpenTelemetry]: https://opentelemetry.io
package otelexample
