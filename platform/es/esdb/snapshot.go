package esdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	eventstore "github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/storefront/storefront/platform/es"
)

// maxSnapshotAttempts bounds SaveSnapshot's retries when concurrent savers keep moving the
// snapshot stream; each retry means another saver succeeded.
const maxSnapshotAttempts = 8

// SaveSnapshot implements es.SnapshotStore. It appends the snapshot to the stream's snapshot
// stream under the revision it last read there, after checking that the snapshot there is
// older, and retries when a concurrent saver got in between.
func (s *Store) SaveSnapshot(ctx context.Context, snap es.Snapshot) error {
	if err := es.CheckSnapshot(snap); err != nil {
		return err
	}
	if err := s.ns.check(snap.StreamID); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("esdb: save snapshot of %q: %w", snap.StreamID, err)
	}
	name := s.ns.snapshotStream(snap.StreamID)
	meta, err := json.Marshal(snapshotMetadata{Version: snap.Version})
	if err != nil {
		return fmt.Errorf("esdb: save snapshot of %q: %w", snap.StreamID, err)
	}
	for range maxSnapshotAttempts {
		current, rev, err := s.latestSnapshot(ctx, name, snap.StreamID)
		var expected eventstore.ExpectedRevision = eventstore.Revision(rev)
		switch {
		case errors.Is(err, es.ErrNoSnapshot):
			expected = eventstore.NoStream{}
			if err := s.conn.setMaxCount(ctx, name, 1); err != nil {
				return fail(ctx, fmt.Sprintf("save snapshot of %q: cap its stream", snap.StreamID), err)
			}
		case err != nil:
			return err
		case current.Version >= snap.Version:
			return nil
		}
		id, err := es.NewEventID()
		if err != nil {
			return err
		}
		_, err = s.conn.appendEvents(ctx, name, expected, []eventstore.EventData{{
			EventID: id, EventType: snap.Type, ContentType: eventstore.ContentTypeBinary, Data: snap.Payload, Metadata: meta,
		}})
		var wrong *wrongVersionError
		if errors.As(err, &wrong) {
			continue // another saver wrote meanwhile: look again
		}
		if err != nil {
			return fail(ctx, fmt.Sprintf("save snapshot of %q", snap.StreamID), err)
		}
		return nil
	}
	return fmt.Errorf("esdb: save snapshot of %q: the snapshot stream kept changing, %d attempts: %w", snap.StreamID, maxSnapshotAttempts, es.ErrConcurrency)
}

// LoadSnapshot implements es.SnapshotStore.
func (s *Store) LoadSnapshot(ctx context.Context, stream string) (es.Snapshot, error) {
	if stream == "" {
		return es.Snapshot{}, fmt.Errorf("%w: snapshot: empty stream id", es.ErrInvalidArgument)
	}
	if err := s.ns.check(stream); err != nil {
		return es.Snapshot{}, err
	}
	if err := ctx.Err(); err != nil {
		return es.Snapshot{}, fmt.Errorf("esdb: load snapshot of %q: %w", stream, err)
	}
	snap, _, err := s.latestSnapshot(ctx, s.ns.snapshotStream(stream), stream)
	return snap, err
}

// latestSnapshot reads the last event of the snapshot stream name and returns it with its
// revision, or an error matching es.ErrNoSnapshot.
func (s *Store) latestSnapshot(ctx context.Context, name, stream string) (es.Snapshot, uint64, error) {
	evs, err := s.conn.read(ctx, name, eventstore.End{}, true, 1)
	if errors.Is(err, errStreamNotFound) || err == nil && len(evs) == 0 {
		return es.Snapshot{}, 0, fmt.Errorf("esdb: stream %q: %w", stream, es.ErrNoSnapshot)
	}
	if err != nil {
		return es.Snapshot{}, 0, fail(ctx, fmt.Sprintf("load snapshot of %q", stream), err)
	}
	e := evs[0]
	var meta snapshotMetadata
	if err := json.Unmarshal(e.UserMetadata, &meta); err != nil || meta.Version < 1 {
		return es.Snapshot{}, 0, fmt.Errorf("esdb: snapshot of %q at revision %d has no valid version in its metadata %q", stream, e.EventNumber, e.UserMetadata)
	}
	payload := e.Data
	if payload == nil {
		payload = []byte{}
	}
	return es.Snapshot{StreamID: stream, Type: e.EventType, Version: meta.Version, Payload: payload}, e.EventNumber, nil
}
