package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Entry is one admin action.
type Entry struct {
	EventID string
	At      time.Time
	ActorID string
	Action  string
	Target  string
}

// Querier is a pool, a connection or a transaction.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Entries returns a page of the admin actions, newest first, and how many there are.
func Entries(ctx context.Context, db Querier, limit, offset int) ([]Entry, int, error) {
	var total int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM audit.entries`).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("audit: count: %w", err)
	}
	rows, err := db.Query(ctx, `SELECT event_id::text, at, actor_id, action, target FROM audit.entries
		ORDER BY at DESC, event_id DESC LIMIT $1 OFFSET $2`, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("audit: entries: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Entry, error) {
		var e Entry
		err := row.Scan(&e.EventID, &e.At, &e.ActorID, &e.Action, &e.Target)
		e.At = e.At.UTC()
		return e, err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("audit: entries: %w", err)
	}
	return out, total, nil
}
