// Package edge is the HTTP side of the REST edge: the middleware every request passes through
// (request ids, access logs, panic recovery, security headers, CORS, body limits), the JSON
// error body of API.md, and the health endpoints. Handlers behind it hold no cross-cutting code.
package edge
