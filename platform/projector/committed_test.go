package projector_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/storefront/storefront/platform/es"
)

// Config.Committed is told after a live batch committed and after a rebuild switched in,
// when the change is already visible to a reader on another connection: a cache of the read
// model invalidated from it cannot be refilled with the old state.
func TestCommitted_CalledAfterLiveCommitsAndSwitches_WithTheChangeVisible(t *testing.T) {
	h := newHarness(t, []string{"catalog"})
	bc := h.ctx("catalog")
	type call struct {
		projection string
		events     int64 // events the read model showed another connection during the call
	}
	var (
		mu    sync.Mutex
		calls []call
	)
	h.cfg.Committed = func(ctx context.Context, projection string) {
		c, err := counts(ctx, h.db.Pool, projection)
		if err != nil {
			t.Errorf("read the read model in Committed: %v", err)
		}
		var n int64
		for _, v := range c {
			n += v[0]
		}
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, call{projection, n})
	}
	last := func() (call, int) {
		mu.Lock()
		defer mu.Unlock()
		if len(calls) == 0 {
			return call{}, 0
		}
		return calls[len(calls)-1], len(calls)
	}

	h.appendEvents(bc, "product-0", 3, changedType, es.Metadata{})
	rt := h.runtime(newCounter(bc).as(true))
	stop := h.startBuilt(rt, "counts")
	// The registry shows the switch a moment before Rebuild returns and calls Committed.
	eventually(t, 5*time.Second, "the first build reported", func() (bool, string) {
		_, n := last()
		return n >= 1, fmt.Sprintf("%d calls", n)
	})
	if c, n := last(); n != 1 || c != (call{"counts", 3}) {
		t.Fatalf("after the first build: %d calls, last %+v; want 1 call seeing 3 events", n, c)
	}

	h.publish(bc, h.appendEvents(bc, "product-1", 4, changedType, es.Metadata{})...)
	eventually(t, 15*time.Second, "a live commit reported with its 7 events visible", func() (bool, string) {
		c, n := last()
		return c == call{"counts", 7}, fmt.Sprintf("%d calls, last %+v", n, c)
	})

	_, before := last()
	if err := rt.Rebuild(context.Background(), "counts"); err != nil {
		t.Fatal(err)
	}
	if c, n := last(); n != before+1 || c != (call{"counts", 7}) {
		t.Errorf("after a rebuild: %d calls (before %d), last %+v; want one more seeing 7 events", n, before, c)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}
