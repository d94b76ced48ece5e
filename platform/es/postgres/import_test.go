package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/storefront/storefront/platform/es"
)

func events(n int, typ string) []es.EventData {
	evs := make([]es.EventData, n)
	for i := range evs {
		evs[i] = es.EventData{Type: typ, Payload: fmt.Appendf(nil, "event %d", i+1),
			Metadata: es.Metadata{CorrelationID: "corr", UserID: "u-1"}}
	}
	return evs
}

func TestImport_WritesEveryStreamInOrderWithItsClaims(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	if _, err := store.Append(ctx, "before", es.NoStream, events(1, "T")); err != nil {
		t.Fatal(err)
	}
	var streams []es.NewStream
	for i := range 50 {
		streams = append(streams, es.NewStream{Stream: fmt.Sprintf("product-%02d", i), Events: events(1+i%4, "T"),
			Claims: []es.Claim{{Scope: "sku", Value: fmt.Sprintf("SKU-%02d", i)}}})
	}
	if err := store.Import(ctx, streams); err != nil {
		t.Fatal(err)
	}
	want := 1
	for _, st := range streams {
		want += len(st.Events)
	}
	// ReadAll holds events back while older transactions of the cluster (other tests') run.
	var all []es.RecordedEvent
	for deadline := time.Now().Add(10 * time.Second); len(all) < want && time.Now().Before(deadline); {
		var err error
		if all, err = store.ReadAll(ctx, es.Position{}, 1000); err != nil {
			t.Fatal(err)
		}
		if len(all) < want {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if len(all) != want || all[0].StreamID != "before" {
		t.Fatalf("ReadAll: %d events (first %q), want %d starting with the earlier append", len(all), all[0].StreamID, want)
	}
	for i, st := range streams {
		got, err := store.ReadStream(ctx, st.Stream, 1, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(st.Events) {
			t.Fatalf("%s: %d events, want %d", st.Stream, len(got), len(st.Events))
		}
		for v, ev := range got {
			if ev.Version != int64(v+1) || string(ev.Payload) != fmt.Sprintf("event %d", v+1) || ev.Metadata.UserID != "u-1" {
				t.Errorf("%s[%d] = version %d payload %q", st.Stream, v, ev.Version, ev.Payload)
			}
		}
		owner, err := store.ClaimOwner(ctx, es.Claim{Scope: "sku", Value: fmt.Sprintf("SKU-%02d", i)})
		if err != nil || owner != st.Stream {
			t.Errorf("claim of %s: %q, %v", st.Stream, owner, err)
		}
		// The streams continue like appended ones.
		if _, err := store.Append(ctx, st.Stream, es.Exact(int64(len(st.Events))), events(1, "T")); err != nil {
			t.Errorf("append after import to %s: %v", st.Stream, err)
		}
	}
}

func TestImport_RefusesAndWritesNothing(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	if _, err := store.Append(ctx, "taken", es.NoStream, events(1, "T"), es.WithClaims(es.Claim{Scope: "sku", Value: "HELD"})); err != nil {
		t.Fatal(err)
	}
	fresh := func(name, sku string) es.NewStream {
		return es.NewStream{Stream: name, Events: events(2, "T"), Claims: []es.Claim{{Scope: "sku", Value: sku}}}
	}
	tests := []struct {
		name    string
		streams []es.NewStream
		check   func(error) bool
	}{
		{"no streams", nil, func(err error) bool { return errors.Is(err, es.ErrInvalidArgument) }},
		{"a stream twice", []es.NewStream{fresh("a", "A"), fresh("a", "B")}, func(err error) bool { return errors.Is(err, es.ErrInvalidArgument) }},
		{"a stream without events", []es.NewStream{fresh("a", "A"), {Stream: "b"}}, func(err error) bool { return errors.Is(err, es.ErrInvalidArgument) }},
		{"an existing stream", []es.NewStream{fresh("a", "A"), fresh("taken", "B")}, func(err error) bool {
			var ce *es.ConcurrencyError
			return errors.As(err, &ce) && ce.Stream == "taken"
		}},
		{"a claim held by another stream", []es.NewStream{fresh("a", "A"), fresh("b", "HELD")}, func(err error) bool {
			var de *es.DuplicateError
			return errors.As(err, &de) && de.Value == "HELD" && errors.Is(err, es.ErrDuplicate)
		}},
		{"one value claimed twice", []es.NewStream{fresh("a", "SAME"), fresh("b", "SAME")}, func(err error) bool {
			return errors.Is(err, es.ErrDuplicate)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := store.Import(ctx, tt.streams); !tt.check(err) {
				t.Fatalf("Import = %v", err)
			}
			for _, st := range tt.streams {
				got, err := store.ReadStream(ctx, st.Stream, 1, 10)
				if want := map[bool]int{true: 1}[st.Stream == "taken"]; err != nil || len(got) != want {
					t.Errorf("stream %s after the refused import: %d events, %v; want %d", st.Stream, len(got), err, want)
				}
			}
			for _, c := range []string{"A", "B", "SAME"} {
				if _, err := store.ClaimOwner(ctx, es.Claim{Scope: "sku", Value: c}); !errors.Is(err, es.ErrNoClaim) {
					t.Errorf("claim %s after the refused import: %v", c, err)
				}
			}
		})
	}
}
