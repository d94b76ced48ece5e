package adapters

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/es/postgres"
	"github.com/storefront/storefront/platform/projector"
	"github.com/storefront/storefront/projections/audit"
	"github.com/storefront/storefront/services/operations/internal/app"
)

// Registry is the projector's registry and parking lot in the read-model database.
type Registry struct{ Pool *pgxpool.Pool }

var _ app.Registry = Registry{}

// Overviews implements app.Registry.
func (r Registry) Overviews(ctx context.Context) ([]projector.Overview, error) {
	return projector.Overviews(ctx, r.Pool)
}

// RequestRebuild implements app.Registry.
func (r Registry) RequestRebuild(ctx context.Context, name string, at time.Time) (bool, error) {
	return projector.RequestRebuild(ctx, r.Pool, name, at)
}

// DeadLetters implements app.Registry.
func (r Registry) DeadLetters(ctx context.Context, f projector.DeadLetterFilter) ([]projector.ParkedEvent, int, error) {
	return projector.DeadLetters(ctx, r.Pool, f)
}

// DeadLetter implements app.Registry.
func (r Registry) DeadLetter(ctx context.Context, id int64) (projector.ParkedEvent, error) {
	return projector.DeadLetterByID(ctx, r.Pool, id)
}

// RequestDeadLetter implements app.Registry.
func (r Registry) RequestDeadLetter(ctx context.Context, id int64, a projector.Action, at time.Time) error {
	return projector.RequestDeadLetter(ctx, r.Pool, id, a, at)
}

// Stores reads the contexts' event stores, each in the schema named after its context.
type Stores struct {
	stores   map[string]*postgres.Store
	contexts []string
}

var _ app.EventStores = (*Stores)(nil)

// NewStores opens the stores of the contexts on pool (read-only sessions in production:
// decision 004's role).
func NewStores(pool *pgxpool.Pool, contexts []string) (*Stores, error) {
	s := &Stores{stores: map[string]*postgres.Store{}}
	for _, c := range contexts {
		st, err := postgres.New(pool, c)
		if err != nil {
			return nil, fmt.Errorf("event store %s: %w", c, err)
		}
		s.stores[c] = st
		s.contexts = append(s.contexts, c)
	}
	slices.Sort(s.contexts)
	return s, nil
}

// Contexts implements app.EventStores.
func (s *Stores) Contexts() []string { return s.contexts }

// Streams implements app.EventStores.
func (s *Stores) Streams(ctx context.Context, c, prefix string, limit, offset int) ([]app.Stream, int, error) {
	infos, total, err := s.stores[c].Streams(ctx, prefix, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	out := make([]app.Stream, len(infos))
	for i, si := range infos {
		out[i] = app.Stream{Context: c, ID: si.ID, Version: si.Version, UpdatedAt: si.UpdatedAt}
	}
	return out, total, nil
}

// HasStream implements app.EventStores.
func (s *Stores) HasStream(ctx context.Context, c, id string) (bool, error) {
	return s.stores[c].HasStream(ctx, id)
}

// ReadStream implements app.EventStores.
func (s *Stores) ReadStream(ctx context.Context, c, id string, from int64, max int) ([]es.RecordedEvent, error) {
	return s.stores[c].ReadStream(ctx, id, from, max)
}

// Event implements app.EventStores: the stores are asked in turn (an index lookup each).
func (s *Stores) Event(ctx context.Context, id uuid.UUID) (app.Event, bool, error) {
	for _, c := range s.contexts {
		e, err := s.stores[c].Event(ctx, id)
		switch {
		case errors.Is(err, postgres.ErrNoEvent):
			continue
		case err != nil:
			return app.Event{}, false, err
		}
		return app.Event{Context: c, RecordedEvent: e}, true, nil
	}
	return app.Event{}, false, nil
}

// Audit is the audit read model.
type Audit struct{ Pool *pgxpool.Pool }

// Entries implements app.Audit.
func (a Audit) Entries(ctx context.Context, limit, offset int) ([]audit.Entry, int, error) {
	return audit.Entries(ctx, a.Pool, limit, offset)
}
