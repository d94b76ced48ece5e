// Package memstore is an in-memory es.Store and es.SnapshotStore for domain and application
// tests. It passes the same contract suite (estest) as the PostgreSQL store, so a test that
// passes against it exercises the same semantics, minus durability.
package memstore

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/storefront/storefront/platform/es"
)

// Store keeps events in memory. The zero value is not usable; call New. It is safe for
// concurrent use; appends are serialised, so its global order is simply the append order.
type Store struct {
	mu        sync.RWMutex
	now       func() time.Time
	log       []es.RecordedEvent  // global order
	streams   map[string][]int    // stream id -> indexes into log, in version order
	ids       map[uuid.UUID]bool  // every event id
	claims    map[es.Claim]string // claim -> holding stream
	snapshots map[string]es.Snapshot
	txs       int64
}

var (
	_ es.Store         = (*Store)(nil)
	_ es.SnapshotStore = (*Store)(nil)
)

// New returns an empty store.
func New() *Store {
	return &Store{
		now:       time.Now,
		streams:   map[string][]int{},
		ids:       map[uuid.UUID]bool{},
		claims:    map[es.Claim]string{},
		snapshots: map[string]es.Snapshot{},
	}
}

// Append implements es.Appender.
func (s *Store) Append(ctx context.Context, stream string, expected es.ExpectedVersion, events []es.EventData, opts ...es.AppendOption) (es.AppendResult, error) {
	req, err := es.NewAppendRequest(stream, expected, events, opts...)
	if err != nil {
		return es.AppendResult{}, err
	}
	if err := ctx.Err(); err != nil {
		return es.AppendResult{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()

	current := int64(len(s.streams[stream]))
	if !expected.Matches(current) {
		return es.AppendResult{}, &es.ConcurrencyError{Stream: stream, Expected: expected, Actual: current}
	}
	seen := map[uuid.UUID]bool{}
	for _, e := range req.Events {
		if s.ids[e.ID] || seen[e.ID] {
			return es.AppendResult{}, fmt.Errorf("memstore: append to %q: event %v: %w", stream, e.ID, es.ErrDuplicateEventID)
		}
		seen[e.ID] = true
	}
	released := map[es.Claim]bool{}
	for _, c := range req.Releases {
		if s.claims[c] == stream {
			released[c] = true
		}
	}
	for _, c := range req.Claims {
		if holder, ok := s.claims[c]; ok && holder != stream && !released[c] {
			return es.AppendResult{}, &es.DuplicateError{Scope: c.Scope, Value: c.Value}
		}
	}
	// Every check passed: write.
	for c := range released {
		delete(s.claims, c)
	}
	for _, c := range req.Claims {
		s.claims[c] = stream
	}
	s.txs++
	at := s.now().UTC().Truncate(time.Microsecond)
	res := es.AppendResult{NextVersion: current + int64(len(req.Events))}
	for i, e := range req.Events {
		rec := es.RecordedEvent{
			ID:            e.ID,
			StreamID:      stream,
			Version:       current + int64(i) + 1,
			Position:      es.Position{TxID: s.txs, Global: int64(len(s.log)) + 1},
			Type:          e.Type,
			SchemaVersion: e.SchemaVersion,
			Payload:       slices.Clone(e.Payload),
			Metadata:      e.Metadata,
			RecordedAt:    at,
		}
		s.streams[stream] = append(s.streams[stream], len(s.log))
		s.log = append(s.log, rec)
		s.ids[e.ID] = true
		res.EventIDs = append(res.EventIDs, e.ID)
		res.Positions = append(res.Positions, rec.Position)
	}
	return res, nil
}

// ReadStream implements es.StreamReader.
func (s *Store) ReadStream(ctx context.Context, stream string, from int64, max int) ([]es.RecordedEvent, error) {
	if err := es.CheckRead(stream, from, max); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	idx := s.streams[stream]
	out := []es.RecordedEvent{}
	for v := from; v <= int64(len(idx)) && len(out) < max; v++ {
		out = append(out, s.copyOf(idx[v-1]))
	}
	return out, nil
}

// ReadStreamBackward implements es.StreamReader.
func (s *Store) ReadStreamBackward(ctx context.Context, stream string, from int64, max int) ([]es.RecordedEvent, error) {
	if err := es.CheckRead(stream, from, max); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	idx := s.streams[stream]
	out := []es.RecordedEvent{}
	for v := min(from, int64(len(idx))); v >= 1 && len(out) < max; v-- {
		out = append(out, s.copyOf(idx[v-1]))
	}
	return out, nil
}

// ReadAll implements es.LogReader. Appends commit under the store's lock, so the append
// order is the global order and nothing ever commits "late".
func (s *Store) ReadAll(ctx context.Context, after es.Position, max int) ([]es.RecordedEvent, error) {
	if err := es.CheckReadAll(after, max); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	i, _ := slices.BinarySearchFunc(s.log, after, func(e es.RecordedEvent, p es.Position) int {
		return e.Position.Compare(p)
	})
	if i < len(s.log) && s.log[i].Position == after {
		i++
	}
	out := []es.RecordedEvent{}
	for ; i < len(s.log) && len(out) < max; i++ {
		out = append(out, s.copyOf(i))
	}
	return out, nil
}

// Head implements es.LogReader.
func (s *Store) Head(ctx context.Context) (es.Position, error) {
	if err := ctx.Err(); err != nil {
		return es.Position{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(s.log) == 0 {
		return es.Position{}, nil
	}
	return s.log[len(s.log)-1].Position, nil
}

// SaveSnapshot implements es.SnapshotStore.
func (s *Store) SaveSnapshot(ctx context.Context, snap es.Snapshot) error {
	if err := es.CheckSnapshot(snap); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.snapshots[snap.StreamID]; ok && old.Version > snap.Version {
		return nil
	}
	snap.Payload = slices.Clone(snap.Payload)
	if snap.Payload == nil {
		snap.Payload = []byte{}
	}
	s.snapshots[snap.StreamID] = snap
	return nil
}

// LoadSnapshot implements es.SnapshotStore.
func (s *Store) LoadSnapshot(ctx context.Context, stream string) (es.Snapshot, error) {
	if err := ctx.Err(); err != nil {
		return es.Snapshot{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	snap, ok := s.snapshots[stream]
	if !ok {
		return es.Snapshot{}, es.ErrNoSnapshot
	}
	snap.Payload = slices.Clone(snap.Payload)
	return snap, nil
}

// ClaimOwner implements es.ClaimReader.
func (s *Store) ClaimOwner(ctx context.Context, c es.Claim) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	stream, ok := s.claims[c]
	if !ok {
		return "", es.ErrNoClaim
	}
	return stream, nil
}

// copyOf returns the i-th event of the log with its own copy of the payload.
func (s *Store) copyOf(i int) es.RecordedEvent {
	e := s.log[i]
	e.Payload = slices.Clone(e.Payload)
	return e
}
