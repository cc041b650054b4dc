package chiexample_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/negotiate-go/negotiate/examples/internal/fake"
	"github.com/negotiate-go/negotiate/middleware"
)

// hello greets the principal, or a stranger.
func hello(w http.ResponseWriter, r *http.Request) {
	if p, ok := middleware.PrincipalFromContext(r.Context()); ok {
		io.WriteString(w, "hello "+p)
		return
	}
	io.WriteString(w, "hello stranger")
}

// get sends GET path through h, with a fresh token of user unless user is
// "", and prints the answer.
func get(h http.Handler, path, user string) *http.Response {
	req := httptest.NewRequest("GET", path, nil)
	if user != "" {
		req.Header.Set("Authorization", fake.Token(user))
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if user == "" {
		user = "nobody"
	}
	fmt.Printf("GET %s as %s: %d %s\n", path, user, rec.Code, strings.TrimSpace(rec.Body.String()))
	return rec.Result()
}

// Two Middlewares: an optional one for the whole router, and a required
// one, with a rule of its own, for a group of routes and for one route.
// The second applies its rule to the principal the first found, and never
// accepts the token again.
func Example() {
	acc := new(fake.Acceptor) // a *gss.Acceptor in a server
	quiet := middleware.WithLogger(slog.New(slog.DiscardHandler))
	anyone, err := middleware.New(acc, quiet,
		middleware.WithAuthRequired(func(*http.Request) bool { return false }))
	if err != nil {
		panic(err)
	}
	staff, err := middleware.New(acc, quiet,
		middleware.WithAllowedPrincipals("alice@EXAMPLE.TEST"))
	if err != nil {
		panic(err)
	}

	r := chi.NewRouter()
	r.Use(anyone.Wrap)
	r.Get("/", hello)
	r.Group(func(r chi.Router) {
		r.Use(staff.Wrap)
		r.Get("/staff", hello)
	})
	r.With(staff.Wrap).Get("/report", hello)

	get(r, "/", "")
	get(r, "/", "bob")
	get(r, "/staff", "alice")
	get(r, "/staff", "bob")
	get(r, "/staff", "")
	get(r, "/report", "alice")
	fmt.Println("tokens accepted:", acc.Calls())
	// Output:
	// GET / as nobody: 200 hello stranger
	// GET / as bob: 200 hello bob@EXAMPLE.TEST
	// GET /staff as alice: 200 hello alice@EXAMPLE.TEST
	// GET /staff as bob: 403 Forbidden
	// GET /staff as nobody: 401 Unauthorized
	// GET /report as alice: 200 hello alice@EXAMPLE.TEST
	// tokens accepted: 4
}

// One Middleware: Optional for the router, Require for the routes that
// need a principal. Its rules apply to both.
func Example_requireAndOptional() {
	mw, err := middleware.New(new(fake.Acceptor), middleware.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		panic(err)
	}
	r := chi.NewRouter()
	r.Use(mw.Optional)
	r.Get("/", hello)
	r.With(mw.Require).Get("/whoami", hello)

	get(r, "/", "")
	get(r, "/whoami", "")
	get(r, "/whoami", "alice")
	// Output:
	// GET / as nobody: 200 hello stranger
	// GET /whoami as nobody: 401 Unauthorized
	// GET /whoami as alice: 200 hello alice@EXAMPLE.TEST
}
