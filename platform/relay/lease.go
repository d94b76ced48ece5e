package relay

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/pgmigrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the relay's migrations (the relay_checkpoints table), to apply with
// pgmigrate in the schema of the event store the relay tails.
func Migrations(schema string) pgmigrate.Set {
	return pgmigrate.Embedded("relay", schema, migrations, "migrations")
}

// errLeaseLost means the connection holding the leader lease broke: the session, and with it
// the advisory lock, may be gone, and another relay may be publishing.
var errLeaseLost = errors.New("relay: leader lease lost")

// statements are the relay's SQL, with the schema spelled out.
type statements struct {
	tryLock, load, save string
}

func newStatements(schema string) statements {
	table := pgx.Identifier{schema, "relay_checkpoints"}.Sanitize()
	return statements{
		// A session lock: held until the session ends or unlocks it, so a relay that dies (or
		// whose connection breaks) frees it at once. The key is derived from the schema: one
		// active relay per event store.
		tryLock: `SELECT pg_try_advisory_lock(hashtextextended($1, 0))`,
		load:    `SELECT tx_id, global_position, updated_at FROM ` + table + ` WHERE relay_name = $1`,
		// Forward only: a late write of an older position (a retried statement) changes nothing.
		save: `INSERT INTO ` + table + ` AS c (relay_name, tx_id, global_position) VALUES ($1, $2, $3)
			ON CONFLICT (relay_name) DO UPDATE
			SET tx_id = EXCLUDED.tx_id, global_position = EXCLUDED.global_position, updated_at = now()
			WHERE (c.tx_id, c.global_position) < (EXCLUDED.tx_id, EXCLUDED.global_position)`,
	}
}

func leaseKey(schema string) string { return "storefront-relay:" + schema }

// lease is the leader's dedicated connection, on which it holds the advisory lock. Checkpoints
// are written through it, which fences them: a relay whose session is gone cannot move the
// checkpoint. The mutex serialises the connection's users (the publish loop and the watchdog).
type lease struct {
	mu   sync.Mutex
	conn *pgx.Conn
	sql  statements
}

// ping checks that the session, and so the lock, is alive.
func (l *lease) ping(ctx context.Context, timeout time.Duration) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn.IsClosed() {
		return errors.New("lease connection closed")
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return l.conn.Ping(ctx)
}

// save records p as the checkpoint of relay. An error that is not PostgreSQL's answer to the
// statement means the session cannot be trusted any more and wraps errLeaseLost.
func (l *lease) save(ctx context.Context, relay string, p es.Position) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err := l.conn.Exec(ctx, l.sql.save, relay, p.TxID, p.Global)
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &pgErr) && !l.conn.IsClosed():
		return fmt.Errorf("relay: save checkpoint %v: %w", p, err)
	default:
		return fmt.Errorf("%w: save checkpoint %v: %w", errLeaseLost, p, err)
	}
}

// close ends the session, which releases the lock.
func (l *lease) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	closeConn(l.conn)
}

// closeConn closes c, giving the server a moment to hear the goodbye.
func closeConn(c *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = c.Close(ctx)
}

// connect opens a dedicated connection configured like the relay's pool, named for the
// operator who looks at pg_stat_activity.
func (r *Relay) connect(ctx context.Context, purpose string) (*pgx.Conn, error) {
	cfg := r.db.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = "storefront-relay " + r.cfg.Schema + " " + purpose
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("relay: connect for %s: %w", purpose, err)
	}
	return conn, nil
}

// acquire returns once this relay holds the lease, or with ctx's error. A standby polls for
// the lock every LeaseRetryInterval on one connection.
func (r *Relay) acquire(ctx context.Context) (*lease, error) {
	retry := r.retrier("take the leader lease")
	standby := false
	var conn *pgx.Conn
	for {
		if conn == nil {
			c, err := r.connect(ctx, "lease")
			if err != nil {
				if !retry.fail(ctx, err) {
					return nil, ctx.Err()
				}
				continue
			}
			conn = c
		}
		var held bool
		if err := conn.QueryRow(ctx, r.sql.tryLock, leaseKey(r.cfg.Schema)).Scan(&held); err != nil {
			closeConn(conn)
			conn = nil
			if !retry.fail(ctx, fmt.Errorf("relay: try the lease lock: %w", err)) {
				return nil, ctx.Err()
			}
			continue
		}
		retry.ok()
		if held {
			return &lease{conn: conn, sql: r.sql}, nil
		}
		if !standby {
			standby = true
			r.log.InfoContext(ctx, "relay: standing by, another relay holds the lease")
		}
		if !sleep(ctx, r.cfg.LeaseRetryInterval) {
			closeConn(conn)
			return nil, ctx.Err()
		}
	}
}

// watchLease cancels the leader's context with errLeaseLost as soon as a check of the lease
// connection fails. Checkpoint writes check it too; this catches a break while idle.
func (r *Relay) watchLease(ctx context.Context, lost context.CancelCauseFunc, l *lease) {
	t := time.NewTicker(r.cfg.LeaseCheckInterval)
	defer t.Stop()
	timeout := max(2*r.cfg.LeaseCheckInterval, time.Second)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := l.ping(ctx, timeout); err != nil {
			if ctx.Err() == nil {
				lost(fmt.Errorf("%w: %w", errLeaseLost, err))
			}
			return
		}
	}
}

// loadCheckpoint reads the relay's checkpoint: the zero Position before the first one.
func (r *Relay) loadCheckpoint(ctx context.Context) (es.Position, time.Time, error) {
	var (
		p  es.Position
		at time.Time
	)
	err := r.db.QueryRow(ctx, r.sql.load, r.cfg.Context).Scan(&p.TxID, &p.Global, &at)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return es.Position{}, time.Time{}, nil
	case err != nil:
		return es.Position{}, time.Time{}, fmt.Errorf("relay: load checkpoint: %w", err)
	}
	return p, at, nil
}
