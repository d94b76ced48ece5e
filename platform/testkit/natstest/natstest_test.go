package natstest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/storefront/storefront/platform/testkit/natstest"
)

func TestNew_DeletesTheTestsStreamsWhenItEnds(t *testing.T) {
	ctx := context.Background()
	var stream string
	t.Run("inner", func(t *testing.T) {
		env := natstest.New(t)
		stream = env.Prefix + "_ORDERS"
		if _, err := env.JS.CreateStream(ctx, jetstream.StreamConfig{Name: stream, Subjects: []string{env.Prefix + ".orders.>"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := env.JS.Publish(ctx, env.Prefix+".orders.placed", []byte("{}")); err != nil {
			t.Fatal(err)
		}
	})
	outer := natstest.New(t)
	if _, err := outer.JS.Stream(ctx, stream); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Fatalf("stream %s after its test ended: err = %v, want ErrStreamNotFound", stream, err)
	}
}
