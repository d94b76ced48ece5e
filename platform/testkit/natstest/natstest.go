// Package natstest gives each test a JetStream connection and a name prefix of its own, and
// deletes the streams carrying that prefix when the test ends.
package natstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/storefront/storefront/platform/testkit"
)

// Env is a test's view of JetStream. Streams the test creates must be named with Prefix
// (and their subjects should start with it too), so tests never see each other's messages.
type Env struct {
	URL    string
	Conn   *nats.Conn
	JS     jetstream.JetStream
	Prefix string
}

// New connects to a JetStream server for tests (see package testkit for the order servers are
// found in) and registers the clean-up.
func New(tb testing.TB) *Env {
	tb.Helper()
	url, err := testkit.NATSURL(tb)
	if err != nil {
		tb.Fatal(err)
	}
	nc, err := nats.Connect(url, nats.Name("storefront-test"))
	if err != nil {
		tb.Fatalf("natstest: connect %s: %v", url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatalf("natstest: %v", err)
	}
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	env := &Env{URL: url, Conn: nc, JS: js, Prefix: "t" + hex.EncodeToString(b)}
	tb.Cleanup(func() {
		defer nc.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		names := js.StreamNames(ctx)
		var mine []string
		for name := range names.Name() {
			// Stream names are often the upper-cased context (natsbus.StreamName).
			if strings.HasPrefix(strings.ToLower(name), env.Prefix) {
				mine = append(mine, name)
			}
		}
		if err := names.Err(); err != nil {
			tb.Errorf("natstest: list streams: %v", err)
		}
		for _, name := range mine {
			if err := js.DeleteStream(ctx, name); err != nil {
				tb.Errorf("natstest: delete stream %s: %v", name, err)
			}
		}
	})
	return env
}

// streamStoreFailed is JetStream's "error creating store for stream" (nats.go names no
// constant for it).
const streamStoreFailed jetstream.ErrorCode = 10049

// CreateStream creates a test's stream, trying again for a while when the server refuses to
// create its store (err_code 10049): a shared server can refuse while other test processes
// delete their streams at the same moment, which is no failure of the code under test.
func (e *Env) CreateStream(tb testing.TB, cfg jetstream.StreamConfig) jetstream.Stream {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		s, err := e.JS.CreateStream(ctx, cfg)
		var apiErr *jetstream.APIError
		switch {
		case err == nil:
			return s
		case errors.As(err, &apiErr) && apiErr.ErrorCode == streamStoreFailed && ctx.Err() == nil:
			time.Sleep(100 * time.Millisecond)
		default:
			tb.Fatalf("natstest: create stream %s: %v", cfg.Name, err)
			return nil
		}
	}
}
