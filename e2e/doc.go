// Package e2e holds the tests that drive the whole fleet from outside, as `make run` starts it
// and as a client sees it: over HTTP, through the REST edge.
package e2e
