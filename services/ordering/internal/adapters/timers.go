package adapters

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/storefront/storefront/platform/reaction"
	"github.com/storefront/storefront/services/ordering/internal/app"
)

// Timers are the saga's deadlines in the ordering schema's reaction_timers table. A timer's
// id derives from its key (an order id) and kind, so scheduling it twice changes nothing.
type Timers struct {
	DB     *pgxpool.Pool
	Schema string
}

var _ app.Timers = Timers{}

func timerID(kind, key string) (uuid.UUID, error) {
	id, err := uuid.Parse(key)
	if err != nil {
		return uuid.Nil, fmt.Errorf("timer %s: key %q is not an order id: %w", kind, key, err)
	}
	return reaction.TimerID(id, kind), nil
}

// Schedule implements app.Timers.
func (t Timers) Schedule(ctx context.Context, tm app.Timer) error {
	id, err := timerID(tm.Kind, tm.Key)
	if err != nil {
		return err
	}
	return reaction.Schedule(ctx, t.DB, t.Schema, reaction.Timer{ID: id, Kind: tm.Kind, Key: tm.Key, DueAt: tm.DueAt, Payload: tm.Payload})
}

// Cancel implements app.Timers.
func (t Timers) Cancel(ctx context.Context, kind, key string) error {
	id, err := timerID(kind, key)
	if err != nil {
		return err
	}
	return reaction.Cancel(ctx, t.DB, t.Schema, id)
}
