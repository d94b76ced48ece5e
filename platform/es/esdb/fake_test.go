package esdb

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	eventstore "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
)

// fakeServer is a conn that behaves like an EventStoreDB node as far as the store can tell:
// 0-based revisions, one transaction log whose byte offsets are the $all positions (commit ==
// prepare, with gaps), a separate creation stamp per event, system events of its own in $all,
// $maxCount, inclusive forward and exclusive backward $all reads, and the backward stream read
// that treats a revision past the end as a window [from-count+1, from]. Wrong expected
// versions are reported through currentVersion with the v4 client's message.
type fakeServer struct {
	mu       sync.Mutex
	log      []eventstore.RecordedEvent // $all order
	streams  map[string][]int           // stream name -> indexes into log
	maxCount map[string]uint64
	next     uint64    // log position of the next record
	clock    time.Time // creation stamp of the last record
	appends  int

	// noStreamPositions makes stream reads report no $all position, as servers before 22.6.
	noStreamPositions bool
	// hook, when set, runs at the start of every call; a non-nil error is returned as is.
	hook func(ctx context.Context) error
}

// newFakeServer returns a server already holding events of the node itself, of another
// namespace and of a stream outside any namespace.
func newFakeServer() *fakeServer {
	f := &fakeServer{
		streams:  map[string][]int{},
		maxCount: map[string]uint64{},
		next:     1024,
	}
	f.write("$stats-0.0.0.0:2113", []eventstore.EventData{{EventType: "$statsCollected", Data: []byte("{}")}})
	f.write("other/order-1", []eventstore.EventData{{EventType: "storefront.test.v1.Foreign", Data: []byte("x")}, {EventType: "storefront.test.v1.Foreign"}})
	f.write("legacy-1", []eventstore.EventData{{EventType: "storefront.test.v1.Legacy", Metadata: []byte("not json")}})
	return f
}

func (f *fakeServer) call(ctx context.Context) error {
	if f.hook != nil {
		if err := f.hook(ctx); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// write appends records to the log; the caller holds mu or owns f.
func (f *fakeServer) write(stream string, events []eventstore.EventData) uint64 {
	var last uint64
	for _, e := range events {
		rev := uint64(len(f.streams[stream]))
		id := e.EventID
		if id == uuid.Nil {
			id = uuid.New()
		}
		// Like the server, stamp every record when it is written, at 100ns resolution:
		// the events of one append get different stamps.
		now := time.Now().UTC().Truncate(100 * time.Nanosecond)
		if !now.After(f.clock) {
			now = f.clock.Add(1234 * time.Nanosecond)
		}
		f.clock = now
		f.streams[stream] = append(f.streams[stream], len(f.log))
		f.log = append(f.log, eventstore.RecordedEvent{
			EventID:      id,
			EventType:    e.EventType,
			ContentType:  "application/octet-stream",
			StreamID:     stream,
			EventNumber:  rev,
			Position:     eventstore.Position{Commit: f.next, Prepare: f.next},
			CreatedDate:  f.clock,
			Data:         slices.Clone(e.Data),
			UserMetadata: slices.Clone(e.Metadata),
		})
		f.next += 97 + uint64(len(e.Data)+len(e.Metadata)+len(stream))
		last = rev
	}
	return last
}

func (f *fakeServer) appendEvents(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events []eventstore.EventData) (uint64, error) {
	if err := f.call(ctx); err != nil {
		return 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	n := uint64(len(f.streams[stream]))
	var ok bool
	var want string
	switch e := expected.(type) {
	case eventstore.Any:
		ok, want = true, "any"
	case eventstore.NoStream:
		ok, want = n == 0, "no_stream"
	case eventstore.StreamExists:
		ok, want = n > 0, "stream_exists"
	case eventstore.StreamRevision:
		ok, want = n > 0 && e.Value == n-1, strconv.FormatUint(e.Value, 10)
	default:
		return 0, fmt.Errorf("fake: unknown expected revision %T", expected)
	}
	if !ok {
		got := "no_stream"
		if n > 0 {
			got = strconv.FormatUint(n-1, 10)
		}
		msg := fmt.Sprintf("[ErrorCodeWrongExpectedVersion] an append request failed the optimistic concurrency on the server: wrong expected version: expecting '%s' but got '%s'", want, got)
		return 0, &wrongVersionError{current: currentVersion(msg), err: fmt.Errorf("%s", msg)}
	}
	last := f.write(stream, events)
	if f.appends++; f.appends%5 == 0 {
		f.write("$stats-0.0.0.0:2113", []eventstore.EventData{{EventType: "$statsCollected", Data: []byte("{}")}})
	}
	return last, nil
}

// visible returns the log indexes of stream that $maxCount leaves readable.
func (f *fakeServer) visible(stream string) []int {
	idx := f.streams[stream]
	if max, ok := f.maxCount[stream]; ok && uint64(len(idx)) > max {
		idx = idx[uint64(len(idx))-max:]
	}
	return idx
}

func (f *fakeServer) read(ctx context.Context, stream string, from eventstore.StreamPosition, backwards bool, count uint64) ([]eventstore.RecordedEvent, error) {
	if err := f.call(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	idx := f.visible(stream)
	if len(idx) == 0 {
		return nil, errStreamNotFound
	}
	var out []eventstore.RecordedEvent
	add := func(i int) {
		e := f.log[i]
		if f.noStreamPositions {
			e.Position = eventstore.Position{Commit: math.MaxUint64, Prepare: math.MaxUint64}
		}
		out = append(out, e)
	}
	if !backwards {
		var start uint64
		switch p := from.(type) {
		case eventstore.Start:
		case eventstore.StreamRevision:
			start = p.Value
		default:
			return nil, fmt.Errorf("fake: cannot read forwards from %T", from)
		}
		for _, i := range idx {
			if rev := f.log[i].EventNumber; rev >= start && uint64(len(out)) < count {
				add(i)
			}
		}
		return out, nil
	}
	lo, hi := uint64(0), f.log[idx[len(idx)-1]].EventNumber
	switch p := from.(type) {
	case eventstore.End:
		if count <= hi {
			lo = hi - count + 1
		}
	case eventstore.StreamRevision:
		hi = p.Value
		if count <= hi {
			lo = hi - count + 1
		}
	default:
		return nil, fmt.Errorf("fake: cannot read backwards from %T", from)
	}
	for j := len(idx) - 1; j >= 0; j-- {
		if rev := f.log[idx[j]].EventNumber; rev >= lo && rev <= hi {
			add(idx[j])
		}
	}
	return out, nil
}

func (f *fakeServer) readAll(ctx context.Context, from eventstore.AllPosition, backwards bool, count uint64) ([]eventstore.RecordedEvent, error) {
	if err := f.call(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	before := func(a, b eventstore.Position) bool {
		return a.Commit < b.Commit || a.Commit == b.Commit && a.Prepare < b.Prepare
	}
	var out []eventstore.RecordedEvent
	if !backwards {
		start := eventstore.Position{}
		switch p := from.(type) {
		case eventstore.Start:
		case eventstore.Position:
			start = p
		default:
			return nil, fmt.Errorf("fake: cannot read $all forwards from %T", from)
		}
		for _, e := range f.log {
			if !before(e.Position, start) && uint64(len(out)) < count {
				out = append(out, e)
			}
		}
		return out, nil
	}
	end := eventstore.Position{Commit: math.MaxUint64, Prepare: math.MaxUint64}
	switch p := from.(type) {
	case eventstore.End:
	case eventstore.Position:
		end = p
	default:
		return nil, fmt.Errorf("fake: cannot read $all backwards from %T", from)
	}
	for j := len(f.log) - 1; j >= 0 && uint64(len(out)) < count; j-- {
		if before(f.log[j].Position, end) {
			out = append(out, f.log[j])
		}
	}
	return out, nil
}

func (f *fakeServer) setMaxCount(ctx context.Context, stream string, max uint64) error {
	if err := f.call(ctx); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.maxCount[stream] = max
	f.write("$$"+stream, []eventstore.EventData{{EventType: "$metadata", Data: fmt.Appendf(nil, `{"$maxCount":%d}`, max)}})
	return nil
}

// rawStream returns every record of stream, for assertions on what the store wrote.
func (f *fakeServer) rawStream(stream string) []eventstore.RecordedEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []eventstore.RecordedEvent
	for _, i := range f.streams[stream] {
		out = append(out, f.log[i])
	}
	return out
}

// streamNames lists the streams that hold events, for assertions.
func (f *fakeServer) streamNames() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for name := range f.streams {
		if !strings.HasPrefix(name, "$") {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}
