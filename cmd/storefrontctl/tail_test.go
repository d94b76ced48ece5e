package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func streamEvent(v int) string {
	return fmt.Sprintf(`{"id":"e-%d","stream_id":"order-7","version":%d,"type":"storefront.ordering.v1.OrderNoted","position":%d,`+
		`"recorded_at":"2026-11-24T10:00:%02dZ","data":{"n":%d},"metadata":{"trace_id":"","causation_id":"","correlation_id":"","actor_id":""},`+
		`"context":"ordering","schema_version":1,"data_base64":""}`, v, v, 100+v, v%60, v)
}

func tailLine(v int) string {
	return fmt.Sprintf("%d  2026-11-24T10:00:%02dZ  storefront.ordering.v1.OrderNoted  {\"n\":%d}\n", v, v%60, v)
}

// streamFake serves GET /admin/streams/order-7 from a growing list of events, honouring
// from and max, and records the from of each request.
type streamFake struct {
	mu     sync.Mutex
	t      *testing.T
	count  int         // events 1..count exist
	onPoll func(n int) // called with the number of requests so far, under the lock
	froms  []string
}

func (sf *streamFake) install(f *fakeAPI) {
	f.handle("GET /api/v1/admin/streams/{id}", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if r.PathValue("id") != "order-7" || q.Get("context") != "ordering" || q.Get("max") != "1000" {
			sf.t.Errorf("unexpected request %s", r.URL)
		}
		from, _ := strconv.Atoi(q.Get("from"))
		limit, _ := strconv.Atoi(q.Get("max"))
		sf.mu.Lock()
		sf.froms = append(sf.froms, q.Get("from"))
		if sf.onPoll != nil {
			sf.onPoll(len(sf.froms))
		}
		var items []string
		for v := max(from, 1); v <= sf.count && len(items) < limit; v++ {
			items = append(items, streamEvent(v))
		}
		sf.mu.Unlock()
		writeJSON(w, 200, `{"items":[`+strings.Join(items, ",")+`]}`)
	})
}

func (sf *streamFake) requestedFroms() []string {
	sf.mu.Lock()
	defer sf.mu.Unlock()
	return append([]string(nil), sf.froms...)
}

func TestStreamsTail_PagesThroughTheWholeStream(t *testing.T) {
	f := newFakeAPI(t)
	sf := &streamFake{t: t, count: 1500}
	sf.install(f)
	res := f.newInvocation().run(t, "streams", "tail", "order-7", "--context", "ordering")
	if res.code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", res.code, res.stderr)
	}
	var want strings.Builder
	for v := 1; v <= 1500; v++ {
		want.WriteString(tailLine(v))
	}
	if diff := cmp.Diff(want.String(), res.stdout); diff != "" {
		t.Errorf("stdout (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"1", "1001"}, sf.requestedFroms()); diff != "" {
		t.Errorf("from of the requests (-want +got):\n%s", diff)
	}
}

func TestStreamsTail_JSONLines(t *testing.T) {
	f := newFakeAPI(t)
	(&streamFake{t: t, count: 2}).install(f)
	res := f.newInvocation().run(t, "--json", "streams", "tail", "order-7", "--context", "ordering")
	if res.code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", res.code, res.stderr)
	}
	if want := streamEvent(1) + "\n" + streamEvent(2) + "\n"; res.stdout != want {
		t.Errorf("stdout = %q, want %q", res.stdout, want)
	}
}

func TestStreamsTailFollow_PrintsNewEventsUntilCancelled(t *testing.T) {
	f := newFakeAPI(t)
	sf := &streamFake{t: t, count: 2}
	sf.onPoll = func(n int) {
		if n == 3 {
			sf.count = 3 // a new event, seen by the third poll
		}
	}
	sf.install(f)
	inv := f.newInvocation()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- runWith(ctx, []string{"streams", "tail", "order-7", "-f", "--context", "ordering", "--interval", "10ms"},
			strings.NewReader(""), &stdout, &stderr, func(k string) string { return inv.env[k] }, inv.settings)
	}()

	want := tailLine(1) + tailLine(2) + tailLine(3)
	deadline := time.After(10 * time.Second)
	for stdout.String() != want || len(sf.requestedFroms()) < 5 {
		select {
		case code := <-done:
			t.Fatalf("tail -f ended by itself with %d; stderr:\n%s", code, stderr.String())
		case <-deadline:
			t.Fatalf("stdout = %q, want %q", stdout.String(), want)
		case <-time.After(5 * time.Millisecond):
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d after cancel, want 0; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("tail -f did not stop on cancel")
	}
	if stdout.String() != want {
		t.Errorf("stdout = %q, want %q (each event once)", stdout.String(), want)
	}
	if stderr.String() != "" {
		t.Errorf("stderr = %q", stderr.String())
	}
	froms := sf.requestedFroms()
	if diff := cmp.Diff([]string{"1", "3", "3", "4", "4"}, froms[:5]); diff != "" {
		t.Errorf("from of the requests (-want +got):\n%s", diff)
	}
	for _, from := range froms[4:] {
		if from != "4" {
			t.Errorf("a later poll asked from %s, want 4: %v", from, froms)
		}
	}
}
