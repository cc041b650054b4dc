package otelexample_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/negotiate-go/negotiate/examples/internal/fake"
	"github.com/negotiate-go/negotiate/middleware"
)

// annotate is an outcome hook that puts the middleware's decision on the
// request's span.
func annotate(r *http.Request, o middleware.Outcome) {
	span := trace.SpanFromContext(r.Context())
	if !span.IsRecording() {
		return
	}
	attrs := []attribute.KeyValue{
		attribute.String("negotiate.reason", o.Reason),
		attribute.Bool("negotiate.session", o.Session),
	}
	if o.Principal != "" {
		attrs = append(attrs, attribute.String("negotiate.principal", o.Principal))
	}
	if o.Status != 0 {
		attrs = append(attrs, attribute.Int("negotiate.status", o.Status))
	}
	span.SetAttributes(attrs...)
	if o.Status >= 500 {
		span.SetStatus(codes.Error, o.Reason)
	}
}

// The outcome hook sets attributes on the span of the request, which an
// in-memory recorder then shows.
func Example() {
	recorder := tracetest.NewSpanRecorder()
	provider := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(recorder))
	tracer := provider.Tracer("example")
	// traced stands for otelhttp.NewHandler: it starts a server span for
	// each request, in front of the middleware.
	traced := func(name string, next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, span := tracer.Start(r.Context(), name, trace.WithSpanKind(trace.SpanKindServer))
			defer span.End()
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}

	mw, err := middleware.New(new(fake.Acceptor), // a *gss.Acceptor in a server
		middleware.WithLogger(slog.New(slog.DiscardHandler)),
		middleware.WithOutcomeHook(annotate))
	if err != nil {
		panic(err)
	}
	h := traced("GET /whoami", mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := middleware.PrincipalFromContext(r.Context())
		io.WriteString(w, p)
	})))
	replayed := fake.Token("bob")
	for _, auth := range []string{fake.Token("alice"), "", replayed, replayed} {
		req := httptest.NewRequest("GET", "/whoami", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		h.ServeHTTP(httptest.NewRecorder(), req)
	}

	for _, span := range recorder.Ended() {
		var attrs []string
		for _, kv := range span.Attributes() {
			attrs = append(attrs, fmt.Sprintf("%s=%s", kv.Key, kv.Value.String()))
		}
		slices.Sort(attrs)
		fmt.Println(span.Name()+":", strings.Join(attrs, " "))
	}
	// Output:
	// GET /whoami: negotiate.principal=alice@EXAMPLE.TEST negotiate.reason= negotiate.session=false
	// GET /whoami: negotiate.reason=no_credentials negotiate.session=false negotiate.status=401
	// GET /whoami: negotiate.principal=bob@EXAMPLE.TEST negotiate.reason= negotiate.session=false
	// GET /whoami: negotiate.reason=replay negotiate.session=false negotiate.status=403
}
