package estest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/storefront/storefront/platform/es"
)

func (s suite) testReadStream(t *testing.T) {
	store := s.newStore(t)
	mustAppend(t, store, "review-1", es.NoStream, events("a", 2))
	mustAppend(t, store, "noise", es.NoStream, events("n", 2))
	mustAppend(t, store, "review-1", es.Exact(2), events("b", 3))

	tests := []struct {
		name     string
		backward bool
		stream   string
		from     int64
		max      int
		want     []int64
	}{
		{"forward, everything", false, "review-1", 1, 100, []int64{1, 2, 3, 4, 5}},
		{"forward, a page", false, "review-1", 2, 2, []int64{2, 3}},
		{"forward, the last event", false, "review-1", 5, 10, []int64{5}},
		{"forward, past the end", false, "review-1", 6, 10, []int64{}},
		{"forward, an unknown stream", false, "nobody", 1, 10, []int64{}},
		{"backward from the end", true, "review-1", es.StreamEnd, 100, []int64{5, 4, 3, 2, 1}},
		{"backward from the end, a page", true, "review-1", es.StreamEnd, 2, []int64{5, 4}},
		{"backward from the middle", true, "review-1", 3, 100, []int64{3, 2, 1}},
		{"backward from past the end", true, "review-1", 9, 2, []int64{5, 4}},
		{"backward from the first", true, "review-1", 1, 10, []int64{1}},
		{"backward, an unknown stream", true, "nobody", es.StreamEnd, 10, []int64{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			read := store.ReadStream
			if tc.backward {
				read = store.ReadStreamBackward
			}
			got, err := read(t.Context(), tc.stream, tc.from, tc.max)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(versions(got), tc.want) {
				t.Fatalf("versions %v, want %v", versions(got), tc.want)
			}
			for _, e := range got {
				if e.StreamID != tc.stream {
					t.Fatalf("event of stream %q in a read of %q", e.StreamID, tc.stream)
				}
			}
		})
	}
}

func (s suite) testReadAll(t *testing.T) {
	t.Run("an empty store", func(t *testing.T) {
		store := s.newStore(t)
		got, err := store.ReadAll(t.Context(), es.Position{}, 10)
		if err != nil || len(got) != 0 {
			t.Fatalf("ReadAll = %d events, %v; want none", len(got), err)
		}
		head, err := store.Head(t.Context())
		if err != nil || !head.IsZero() {
			t.Fatalf("Head = %v, %v; want the zero position", head, err)
		}
	})

	store := s.newStore(t)
	var want []uuid.UUID
	var last es.Position
	for i, a := range []struct {
		stream string
		n      int
	}{{"a", 1}, {"b", 3}, {"a", 2}, {"c", 1}, {"b", 1}, {"c", 4}, {"a", 1}} {
		res := mustAppend(t, store, a.stream, es.Any, events(fmt.Sprint(i), a.n))
		want = append(want, res.EventIDs...)
		last = res.Positions[len(res.Positions)-1]
	}

	for _, page := range []int{1, 2, 5, 100} {
		t.Run(fmt.Sprintf("pages of %d give every event once, in append order", page), func(t *testing.T) {
			got := readAll(t, store, page, len(want))
			if !slices.Equal(ids(got), want) {
				t.Fatalf("ids %v\nwant %v", ids(got), want)
			}
			checkStrictlyIncreasing(t, got)
			next := map[string]int64{}
			for _, e := range got {
				next[e.StreamID]++
				if e.Version != next[e.StreamID] {
					t.Fatalf("stream %q: version %d where %d was due", e.StreamID, e.Version, next[e.StreamID])
				}
			}
		})
	}

	t.Run("reading from the middle resumes after that position", func(t *testing.T) {
		all := readAll(t, store, 100, len(want))
		got, err := store.ReadAll(t.Context(), all[4].Position, 3)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(got), want[5:8]) {
			t.Fatalf("ids %v, want %v", ids(got), want[5:8])
		}
	})

	t.Run("head is the last committed position and nothing follows it", func(t *testing.T) {
		head, err := store.Head(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if head != last {
			t.Fatalf("Head = %v, want %v", head, last)
		}
		got, err := store.ReadAll(t.Context(), head, 10)
		if err != nil || len(got) != 0 {
			t.Fatalf("ReadAll(head) = %d events, %v; want none", len(got), err)
		}
	})
}

func (s suite) testSnapshots(t *testing.T) {
	snaps, ok := s.newStore(t).(es.SnapshotStore)
	if !ok {
		t.Skip("the store is not an es.SnapshotStore")
	}
	ctx := t.Context()
	snap := func(stream string, version int64) es.Snapshot {
		return es.Snapshot{StreamID: stream, Type: "storefront.test.v1.State", Version: version, Payload: []byte(fmt.Sprintf("%s@%d\x00", stream, version))}
	}
	load := func(stream string) es.Snapshot {
		t.Helper()
		got, err := snaps.LoadSnapshot(ctx, stream)
		if err != nil {
			t.Fatalf("LoadSnapshot(%q): %v", stream, err)
		}
		return got
	}
	if _, err := snaps.LoadSnapshot(ctx, "cart-1"); !errors.Is(err, es.ErrNoSnapshot) {
		t.Fatalf("LoadSnapshot of a stream without one: %v, want ErrNoSnapshot", err)
	}
	steps := []struct {
		save es.Snapshot
		want es.Snapshot
	}{
		{snap("cart-1", 3), snap("cart-1", 3)},
		{snap("cart-1", 5), snap("cart-1", 5)}, // a newer one replaces it
		{snap("cart-1", 4), snap("cart-1", 5)}, // an older one is ignored
		{snap("cart-1", 5), snap("cart-1", 5)}, // the same again is harmless
	}
	for i, st := range steps {
		if err := snaps.SaveSnapshot(ctx, st.save); err != nil {
			t.Fatalf("step %d: SaveSnapshot: %v", i, err)
		}
		if got := load("cart-1"); got.StreamID != st.want.StreamID || got.Type != st.want.Type || got.Version != st.want.Version || string(got.Payload) != string(st.want.Payload) {
			t.Fatalf("step %d: loaded %+v, want %+v", i, got, st.want)
		}
	}
	if err := snaps.SaveSnapshot(ctx, snap("cart-2", 1)); err != nil {
		t.Fatal(err)
	}
	if got := load("cart-2"); got.Version != 1 {
		t.Fatalf("cart-2 snapshot version %d, want 1", got.Version)
	}
	for _, bad := range []es.Snapshot{{Type: "t", Version: 1}, {StreamID: "s", Version: 1}, {StreamID: "s", Type: "t"}} {
		if err := snaps.SaveSnapshot(ctx, bad); !errors.Is(err, es.ErrInvalidArgument) {
			t.Fatalf("SaveSnapshot(%+v): %v, want ErrInvalidArgument", bad, err)
		}
	}
}

func (s suite) testCancelledContext(t *testing.T) {
	store := s.newStore(t)
	ctx := cancelled()
	calls := map[string]func() error{
		"Append": func() error {
			_, err := store.Append(ctx, "s", es.Any, events("x", 3), es.WithClaims(es.Claim{Scope: "x", Value: "y"}))
			return err
		},
		"ReadStream":         func() error { _, err := store.ReadStream(ctx, "s", 1, 10); return err },
		"ReadStreamBackward": func() error { _, err := store.ReadStreamBackward(ctx, "s", es.StreamEnd, 10); return err },
		"ReadAll":            func() error { _, err := store.ReadAll(ctx, es.Position{}, 10); return err },
		"Head":               func() error { _, err := store.Head(ctx); return err },
	}
	if snaps, ok := store.(es.SnapshotStore); ok {
		calls["SaveSnapshot"] = func() error {
			return snaps.SaveSnapshot(ctx, es.Snapshot{StreamID: "s", Type: "t", Version: 1})
		}
		calls["LoadSnapshot"] = func() error { _, err := snaps.LoadSnapshot(ctx, "s"); return err }
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: %v, want an error matching context.Canceled", name, err)
		}
	}
	if all := readAll(t, store, 10, 0); len(all) != 0 {
		t.Fatalf("an append with a cancelled context wrote %d events", len(all))
	}
	if _, ok := store.(es.SnapshotStore); ok {
		if _, err := store.(es.SnapshotStore).LoadSnapshot(t.Context(), "s"); !errors.Is(err, es.ErrNoSnapshot) {
			t.Fatalf("a snapshot saved with a cancelled context: %v", err)
		}
	}
}
