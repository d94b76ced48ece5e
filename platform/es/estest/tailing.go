package estest

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/storefront/storefront/platform/es"
)

// maxAppendsPerWriter bounds the memory of the test against very fast stores.
const maxAppendsPerWriter = 4000

// testTailingReader is the gap test: many writers append to shared and private streams while
// a reader tails ReadAll from its last position, as the relay does. The reader must see every
// committed event exactly once, in strictly increasing positions, and every stream in version
// order with no hole — a store whose global order lets a late-committing transaction land
// behind a position the reader has passed fails it.
func (s suite) testTailingReader(t *testing.T) {
	writers := s.f.GapTestWriters
	if writers == 0 {
		writers = 8
	}
	duration := s.f.GapTestDuration
	if duration == 0 {
		duration = 3 * time.Second
		if testing.Short() {
			duration = time.Second
		}
	}
	store := s.newStore(t)
	ctx := t.Context()

	type committed struct {
		stream  string
		version int64
	}
	var (
		mu    sync.Mutex
		wrote = map[uuid.UUID]committed{}
	)
	record := func(stream string, res es.AppendResult) {
		mu.Lock()
		defer mu.Unlock()
		first := res.NextVersion - int64(len(res.EventIDs)) + 1
		for i, id := range res.EventIDs {
			wrote[id] = committed{stream, first + int64(i)}
		}
	}

	// The reader tails until it has seen `want` events (sent when the writers are done).
	var seen []es.RecordedEvent
	want := make(chan int, 1)
	readerErr := make(chan error, 1)
	go func() {
		var after es.Position
		target := -1
		var deadline time.Time
		for {
			batch, err := store.ReadAll(ctx, after, 100)
			if err != nil {
				readerErr <- fmt.Errorf("ReadAll(%v): %w", after, err)
				return
			}
			seen = append(seen, batch...)
			if len(batch) > 0 {
				after = batch[len(batch)-1].Position
				continue
			}
			if target < 0 {
				select {
				case target = <-want:
					deadline = time.Now().Add(30 * time.Second)
				default:
				}
			}
			if target >= 0 && (len(seen) >= target || time.Now().After(deadline)) {
				readerErr <- nil
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()

	started := time.Now()
	stop := started.Add(duration)
	var wg sync.WaitGroup
	writeErrs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			own := map[string]int64{} // private streams: version for Exact
			for i := 0; i < maxAppendsPerWriter && time.Now().Before(stop); i++ {
				evs := events(fmt.Sprintf("w%d-%d-", w, i), 1+rng.IntN(3))
				var stream string
				var expected es.ExpectedVersion
				if rng.IntN(2) == 0 {
					stream, expected = fmt.Sprintf("shared-%d", rng.IntN(2*writers)), es.Any
				} else {
					stream = fmt.Sprintf("own-%d-%d", w, rng.IntN(4))
					expected = es.Exact(own[stream])
				}
				res, err := store.Append(ctx, stream, expected, evs)
				if err != nil {
					writeErrs <- fmt.Errorf("writer %d: Append(%s, %v): %w", w, stream, expected, err)
					return
				}
				own[stream] = res.NextVersion
				record(stream, res)
			}
		})
	}
	wg.Wait()
	close(writeErrs)
	for err := range writeErrs {
		t.Error(err)
	}
	want <- len(wrote)
	if err := <-readerErr; err != nil {
		t.Fatal(err)
	}
	t.Logf("%d writers appended %d events in %v; the tailing reader saw %d", writers, len(wrote), time.Since(started).Round(time.Millisecond), len(seen))

	if len(seen) != len(wrote) {
		t.Errorf("the reader saw %d events, %d were committed", len(seen), len(wrote))
	}
	if head, err := store.Head(ctx); err != nil || len(seen) > 0 && head != seen[len(seen)-1].Position {
		t.Errorf("Head = %v, %v; want the last position read", head, err)
	}
	once := map[uuid.UUID]bool{}
	next := map[string]int64{}
	for i, e := range seen {
		c, ok := wrote[e.ID]
		switch {
		case once[e.ID]:
			t.Fatalf("event %d (%v) seen twice", i, e.ID)
		case !ok:
			t.Fatalf("event %d (%v) was never appended", i, e.ID)
		case c.stream != e.StreamID || c.version != e.Version:
			t.Fatalf("event %v read as %s@%d, appended as %s@%d", e.ID, e.StreamID, e.Version, c.stream, c.version)
		case i > 0 && !seen[i-1].Position.Before(e.Position):
			t.Fatalf("positions not increasing at %d: %v then %v", i, seen[i-1].Position, e.Position)
		}
		once[e.ID] = true
		next[e.StreamID]++
		if e.Version != next[e.StreamID] {
			t.Fatalf("stream %q: the reader got version %d where %d was due", e.StreamID, e.Version, next[e.StreamID])
		}
	}
}
