package estest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/storefront/storefront/platform/es"
)

func (s suite) testAppend(t *testing.T) {
	for _, n := range []int{1, 3, 7} {
		t.Run(fmt.Sprintf("%d events round-trip every field", n), func(t *testing.T) {
			store := s.newStore(t)
			evs := events("rt", n)
			evs[0].ID = uuid.MustParse("0190e4c2-7b4a-7000-8000-000000000001") // caller-chosen id
			if n > 1 {
				evs[1].SchemaVersion = 0 // defaults to 1
				evs[1].Payload = nil     // stored as empty
			}
			before := time.Now().Add(-2 * time.Second)
			res := mustAppend(t, store, "order-1", es.NoStream, evs)
			after := time.Now().Add(2 * time.Second)

			if res.NextVersion != int64(n) || len(res.EventIDs) != n || len(res.Positions) != n {
				t.Fatalf("AppendResult = %+v, want NextVersion %d and %d ids and positions", res, n, n)
			}
			got := readStream(t, store, "order-1")
			if len(got) != n {
				t.Fatalf("ReadStream returned %d events, want %d", len(got), n)
			}
			for i, e := range got {
				want := evs[i]
				if e.ID != res.EventIDs[i] {
					t.Errorf("event %d: id %v, AppendResult says %v", i, e.ID, res.EventIDs[i])
				}
				checkRecorded(t, e, want, "order-1", int64(i+1), res.Positions[i])
				if e.RecordedAt.Before(before) || e.RecordedAt.After(after) || !e.RecordedAt.Equal(got[0].RecordedAt) {
					t.Errorf("event %d: RecordedAt %v, want the same instant for the whole append, within [%v, %v]", i, e.RecordedAt, before, after)
				}
			}
			all := readAll(t, store, 100, n)
			if !slices.Equal(ids(all), ids(got)) {
				t.Fatalf("ReadAll ids %v, want %v", ids(all), ids(got))
			}
			for i, e := range all {
				checkRecorded(t, e, evs[i], "order-1", int64(i+1), res.Positions[i])
			}
			checkStrictlyIncreasing(t, all)
		})
	}

	t.Run("later appends continue the versions", func(t *testing.T) {
		store := s.newStore(t)
		first := mustAppend(t, store, "cart-1", es.NoStream, events("a", 2))
		second := mustAppend(t, store, "cart-1", es.Exact(first.NextVersion), events("b", 3))
		if second.NextVersion != 5 {
			t.Fatalf("NextVersion = %d, want 5", second.NextVersion)
		}
		if got := versions(readStream(t, store, "cart-1")); !slices.Equal(got, []int64{1, 2, 3, 4, 5}) {
			t.Fatalf("versions %v, want 1..5", got)
		}
		if !first.Positions[1].Before(second.Positions[0]) {
			t.Fatalf("second append at %v, not after the first's %v", second.Positions[0], first.Positions[1])
		}
	})

	t.Run("the caller's events are not modified", func(t *testing.T) {
		store := s.newStore(t)
		evs := events("c", 2)
		evs[0].SchemaVersion = 0
		mustAppend(t, store, "s", es.Any, evs)
		if evs[0].ID != uuid.Nil || evs[0].SchemaVersion != 0 {
			t.Fatalf("Append changed its argument: %+v", evs[0])
		}
	})

	t.Run("a duplicate event id writes nothing", func(t *testing.T) {
		store := s.newStore(t)
		evs := events("d", 1)
		evs[0].ID = uuid.MustParse("0190e4c2-7b4a-7000-8000-0000000000dd")
		mustAppend(t, store, "first", es.NoStream, evs)

		if !s.f.NoStoreWideEventIDs {
			again := append(events("e", 2), evs[0])
			_, err := store.Append(t.Context(), "second", es.NoStream, again)
			wantErr(t, err, es.ErrDuplicateEventID, "append of a taken id")
		}

		twice := events("f", 2)
		twice[1].ID = uuid.MustParse("0190e4c2-7b4a-7000-8000-0000000000ee")
		twice[0].ID = twice[1].ID
		_, err := store.Append(t.Context(), "third", es.NoStream, twice)
		wantErr(t, err, es.ErrDuplicateEventID, "append of one id twice")

		if all := readAll(t, store, 100, 1); len(all) != 1 {
			t.Fatalf("store holds %d events, want only the first append's 1", len(all))
		}
	})
}

func (s suite) testExpectedVersion(t *testing.T) {
	tests := []struct {
		name     string
		existing int // events already in the stream
		expected es.ExpectedVersion
		conflict bool
	}{
		{"any on a new stream", 0, es.Any, false},
		{"any on an existing stream", 2, es.Any, false},
		{"no-stream on a new stream", 0, es.NoStream, false},
		{"no-stream on an existing stream", 2, es.NoStream, true},
		{"stream-exists on a new stream", 0, es.StreamExists, true},
		{"stream-exists on an existing stream", 2, es.StreamExists, false},
		{"exact current version", 2, es.Exact(2), false},
		{"exact 0 on a new stream", 0, es.Exact(0), false},
		{"exact behind", 2, es.Exact(1), true},
		{"exact ahead", 2, es.Exact(3), true},
		{"exact on a new stream", 0, es.Exact(1), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			store := s.newStore(t)
			if tc.existing > 0 {
				mustAppend(t, store, "product-1", es.NoStream, events("old", tc.existing))
			}
			res, err := store.Append(t.Context(), "product-1", tc.expected, events("new", 3))
			stored := readStream(t, store, "product-1")
			if !tc.conflict {
				if err != nil {
					t.Fatalf("Append: %v", err)
				}
				if want := int64(tc.existing + 3); res.NextVersion != want || int64(len(stored)) != want {
					t.Fatalf("NextVersion %d, stream holds %d, want %d", res.NextVersion, len(stored), want)
				}
				return
			}
			wantErr(t, err, es.ErrConcurrency, "Append")
			var ce *es.ConcurrencyError
			if !errors.As(err, &ce) {
				t.Fatalf("error %T is not a *es.ConcurrencyError", err)
			}
			if ce.Stream != "product-1" || ce.Expected != tc.expected || ce.Actual != int64(tc.existing) {
				t.Errorf("ConcurrencyError %+v, want stream product-1, expected %v, actual %d", *ce, tc.expected, tc.existing)
			}
			if len(stored) != tc.existing {
				t.Fatalf("stream holds %d events after a conflict, want %d", len(stored), tc.existing)
			}
			if all := readAll(t, store, 100, tc.existing); len(all) != tc.existing {
				t.Fatalf("store holds %d events after a conflict, want %d", len(all), tc.existing)
			}
		})
	}
}

func (s suite) testInvalidArguments(t *testing.T) {
	store := s.newStore(t)
	ctx := t.Context()
	noType := events("x", 2)
	noType[1].Type = ""
	badSchema := events("x", 1)
	badSchema[0].SchemaVersion = -1
	tests := []struct {
		name string
		call func() error
	}{
		{"append to an empty stream id", func() error { _, err := store.Append(ctx, "", es.Any, events("x", 1)); return err }},
		{"append no events", func() error { _, err := store.Append(ctx, "s", es.Any, nil); return err }},
		{"append an event without type", func() error { _, err := store.Append(ctx, "s", es.Any, noType); return err }},
		{"append a negative schema version", func() error { _, err := store.Append(ctx, "s", es.Any, badSchema); return err }},
		{"append with a negative exact version", func() error { _, err := store.Append(ctx, "s", es.Exact(-1), events("x", 1)); return err }},
		{"append with an empty claim", func() error {
			_, err := store.Append(ctx, "s", es.Any, events("x", 1), es.WithClaims(es.Claim{Scope: "user.email"}))
			return err
		}},
		{"read stream from version 0", func() error { _, err := store.ReadStream(ctx, "s", 0, 10); return err }},
		{"read stream max 0", func() error { _, err := store.ReadStream(ctx, "s", 1, 0); return err }},
		{"read stream backward from 0", func() error { _, err := store.ReadStreamBackward(ctx, "s", 0, 10); return err }},
		{"read an empty stream id", func() error { _, err := store.ReadStream(ctx, "", 1, 10); return err }},
		{"read all max 0", func() error { _, err := store.ReadAll(ctx, es.Position{}, 0); return err }},
		{"read all from a negative position", func() error { _, err := store.ReadAll(ctx, es.Position{TxID: -1}, 10); return err }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { wantErr(t, tc.call(), es.ErrInvalidArgument, tc.name) })
	}
	if all := readAll(t, store, 100, 0); len(all) != 0 {
		t.Fatalf("invalid appends wrote %d events", len(all))
	}
}

func (s suite) testConcurrentAppends(t *testing.T) {
	for _, tc := range []struct {
		name     string
		existing int
	}{{"no-stream", 0}, {"exact", 2}} {
		t.Run(tc.name+": exactly one of many writers wins", func(t *testing.T) {
			store := s.newStore(t)
			if tc.existing > 0 {
				mustAppend(t, store, "stock-1", es.NoStream, events("old", tc.existing))
			}
			const writers = 10
			results := make([]error, writers)
			appended := make([][]uuid.UUID, writers)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for w := range writers {
				wg.Go(func() {
					<-start
					res, err := store.Append(t.Context(), "stock-1", es.Exact(int64(tc.existing)), events(fmt.Sprint(w), 3))
					results[w], appended[w] = err, res.EventIDs
				})
			}
			close(start)
			wg.Wait()
			winner := -1
			for w, err := range results {
				switch {
				case err == nil && winner >= 0:
					t.Fatalf("writers %d and %d both appended at version %d", winner, w, tc.existing)
				case err == nil:
					winner = w
				case !errors.Is(err, es.ErrConcurrency):
					t.Fatalf("writer %d: %v, want success or ErrConcurrency", w, err)
				}
			}
			if winner < 0 {
				t.Fatal("no writer succeeded")
			}
			stored := readStream(t, store, "stock-1")
			if !slices.Equal(ids(stored[tc.existing:]), appended[winner]) {
				t.Fatalf("stream holds %v after the old events, want exactly the winner's %v", ids(stored[tc.existing:]), appended[winner])
			}
		})
	}
}
