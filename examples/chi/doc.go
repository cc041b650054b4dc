// Package chiexample puts the middleware in a [chi] router: an optional
// Middleware for the whole router (r.Use), and a required one for a group
// of routes (r.Group or r.Route, and r.Use) or for one route (r.With); or
// one Middleware's Optional for the router and Require for some routes. A
// request is authenticated once, however many of them it meets: a later
// one applies its own rules to what the first found (the middleware's
// documentation, Several middlewares in one chain, has the table).
//
// [chi]: https://github.com/go-chi/chi
package chiexample
