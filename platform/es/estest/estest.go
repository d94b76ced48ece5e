// Package estest is the contract every es.Store adapter must pass. An adapter's test calls
// Run with a constructor of fresh, empty stores:
//
//	func TestContract(t *testing.T) {
//		estest.Run(t, func(t *testing.T) es.Store { return memstore.New() })
//	}
//
// The suite covers appends and their round trip, expected versions and conflicts, concurrent
// appenders, uniqueness claims, stream and global reads, snapshots (when the store is also an
// es.SnapshotStore), context cancellation, and — the reason it exists — a tailing reader of
// ReadAll racing many concurrent writers, which must see every committed event exactly once
// and each stream in version order.
package estest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/storefront/storefront/platform/es"
)

// Features describes what an adapter can do and tunes the slow tests. The zero value means
// "everything, default timings".
type Features struct {
	// NoClaims skips the uniqueness-claim tests, for adapters that cannot reserve values in
	// the append's transaction (an EventStoreDB adapter, say).
	NoClaims bool
	// NoStoreWideEventIDs skips the check that an append reusing an event id already stored
	// in another stream fails with ErrDuplicateEventID, for adapters whose server keeps ids
	// unique per stream only (EventStoreDB). An id twice in one append must still fail.
	NoStoreWideEventIDs bool
	// GapTestDuration is how long the writers of the concurrent tailing test run. Zero means
	// 3s, or 1s under -short.
	GapTestDuration time.Duration
	// GapTestWriters is the number of concurrent writers of that test. Zero means 8.
	GapTestWriters int
}

// Run runs the whole contract against stores made by newStore, which must return an empty
// store private to the test (and register its clean-up with t.Cleanup).
func Run(t *testing.T, newStore func(t *testing.T) es.Store) {
	RunWithFeatures(t, Features{}, newStore)
}

// RunWithFeatures is Run for an adapter that lacks a feature or needs other timings.
func RunWithFeatures(t *testing.T, f Features, newStore func(t *testing.T) es.Store) {
	t.Helper()
	s := suite{newStore: newStore, f: f}
	t.Run("Append", s.testAppend)
	t.Run("ExpectedVersion", s.testExpectedVersion)
	t.Run("InvalidArguments", s.testInvalidArguments)
	t.Run("ConcurrentAppends", s.testConcurrentAppends)
	t.Run("Claims", s.testClaims)
	t.Run("ReadStream", s.testReadStream)
	t.Run("ReadAll", s.testReadAll)
	t.Run("Snapshots", s.testSnapshots)
	t.Run("CancelledContext", s.testCancelledContext)
	t.Run("TailingReaderUnderConcurrentWriters", s.testTailingReader)
}

type suite struct {
	newStore func(t *testing.T) es.Store
	f        Features
}

// events returns n distinct events, every field different per event and per tag, so that a
// store that mixes up fields or rows is caught.
func events(tag string, n int) []es.EventData {
	out := make([]es.EventData, n)
	for i := range out {
		out[i] = es.EventData{
			Type:          fmt.Sprintf("storefront.test.v1.Event%s%d", tag, i),
			SchemaVersion: i + 1,
			Payload:       []byte(fmt.Sprintf("payload %s %d \x00\xff", tag, i)),
			Metadata: es.Metadata{
				CorrelationID: fmt.Sprintf("corr-%s-%d", tag, i),
				CausationID:   fmt.Sprintf("cause-%s-%d", tag, i),
				UserID:        fmt.Sprintf("user-%s-%d", tag, i),
				TraceParent:   fmt.Sprintf("00-%032x-%016x-01", i+1, i+2),
				TraceState:    fmt.Sprintf("sf=%s%d", tag, i),
			},
		}
	}
	return out
}

func mustAppend(t *testing.T, s es.Appender, stream string, expected es.ExpectedVersion, evs []es.EventData, opts ...es.AppendOption) es.AppendResult {
	t.Helper()
	res, err := s.Append(t.Context(), stream, expected, evs, opts...)
	if err != nil {
		t.Fatalf("Append(%q, %v, %d events): %v", stream, expected, len(evs), err)
	}
	return res
}

// readStream returns the whole stream.
func readStream(t *testing.T, s es.StreamReader, stream string) []es.RecordedEvent {
	t.Helper()
	var out []es.RecordedEvent
	for {
		batch, err := s.ReadStream(t.Context(), stream, int64(len(out))+1, 100)
		if err != nil {
			t.Fatalf("ReadStream(%q): %v", stream, err)
		}
		if len(batch) == 0 {
			return out
		}
		out = append(out, batch...)
	}
}

// settleTimeout bounds how long the suite waits for ReadAll to release committed events.
const settleTimeout = 10 * time.Second

// readAll tails ReadAll from the start in pages of size page until it has at least want
// events, then reads once more to catch any surplus, and returns everything it got. The
// contract lets a store hold committed events back while older transactions (possibly of
// other tests on the same server) are in flight, so reads of the log wait instead of
// expecting every event at once.
func readAll(t *testing.T, s es.LogReader, page, want int) []es.RecordedEvent {
	t.Helper()
	var out []es.RecordedEvent
	var after es.Position
	deadline := time.Now().Add(settleTimeout)
	for {
		batch, err := s.ReadAll(t.Context(), after, page)
		if err != nil {
			t.Fatalf("ReadAll(%v, %d): %v", after, page, err)
		}
		if len(batch) > page {
			t.Fatalf("ReadAll(%v, %d) returned %d events", after, page, len(batch))
		}
		out = append(out, batch...)
		if len(batch) > 0 {
			after = batch[len(batch)-1].Position
			continue
		}
		if len(out) >= want {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("ReadAll gave %d events within %v, want %d", len(out), settleTimeout, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func ids(evs []es.RecordedEvent) []uuid.UUID {
	out := make([]uuid.UUID, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

func versions(evs []es.RecordedEvent) []int64 {
	out := make([]int64, len(evs))
	for i, e := range evs {
		out[i] = e.Version
	}
	return out
}

// checkRecorded compares a recorded event with the data appended, field by field.
func checkRecorded(t *testing.T, got es.RecordedEvent, want es.EventData, stream string, version int64, pos es.Position) {
	t.Helper()
	wantSchema := want.SchemaVersion
	if wantSchema == 0 {
		wantSchema = 1
	}
	var diffs []string
	check := func(field string, ok bool, g, w any) {
		if !ok {
			diffs = append(diffs, fmt.Sprintf("%s = %v, want %v", field, g, w))
		}
	}
	if want.ID != uuid.Nil {
		check("ID", got.ID == want.ID, got.ID, want.ID)
	} else {
		check("ID version (generated)", got.ID.Version() == 7, got.ID.Version(), 7)
	}
	check("StreamID", got.StreamID == stream, got.StreamID, stream)
	check("Version", got.Version == version, got.Version, version)
	check("Position", got.Position == pos, got.Position, pos)
	check("Type", got.Type == want.Type, got.Type, want.Type)
	check("SchemaVersion", got.SchemaVersion == wantSchema, got.SchemaVersion, wantSchema)
	check("Payload", string(got.Payload) == string(want.Payload), got.Payload, want.Payload)
	check("Metadata", got.Metadata == want.Metadata, got.Metadata, want.Metadata)
	check("RecordedAt location", got.RecordedAt.Location() == time.UTC, got.RecordedAt.Location(), time.UTC)
	if len(diffs) > 0 {
		t.Errorf("stream %q version %d:\n  %s", stream, version, strings.Join(diffs, "\n  "))
	}
}

// wantErr fails the test unless err matches target.
func wantErr(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error %v, want one matching %v", what, err, target)
	}
}

// checkStrictlyIncreasing fails unless positions strictly increase.
func checkStrictlyIncreasing(t *testing.T, evs []es.RecordedEvent) {
	t.Helper()
	for i := 1; i < len(evs); i++ {
		if !evs[i-1].Position.Before(evs[i].Position) {
			t.Fatalf("ReadAll order broken at %d: %v then %v", i, evs[i-1].Position, evs[i].Position)
		}
	}
}

func cancelled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}
