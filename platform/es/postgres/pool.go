package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// PoolConfig sizes the connection pool of NewPool. Zero fields take the defaults.
type PoolConfig struct {
	// URL is the database's connection string (postgres://...). Required.
	URL string
	// MinConns connections are kept open even when idle. Default 2: a fleet of a dozen
	// processes shares one server's max_connections (100 by default) with room for bursts.
	MinConns int32
	// MaxConns bounds the open connections. Default 20.
	MaxConns int32
	// MaxConnIdleTime closes connections above MinConns idle for that long. Default 5m.
	MaxConnIdleTime time.Duration
	// MaxConnLifetime recycles every connection after that long. Default 1h.
	MaxConnLifetime time.Duration
}

func (c *PoolConfig) setDefaults() {
	if c.MinConns == 0 {
		c.MinConns = 2
	}
	if c.MaxConns == 0 {
		c.MaxConns = 20
	}
	if c.MaxConnIdleTime == 0 {
		c.MaxConnIdleTime = 5 * time.Minute
	}
	if c.MaxConnLifetime == 0 {
		c.MaxConnLifetime = time.Hour
	}
}

// Validate reports every problem of the configuration, once defaults are applied.
func (c PoolConfig) Validate() error {
	c.setDefaults()
	var errs []error
	if c.URL == "" {
		errs = append(errs, errors.New("URL is required"))
	}
	if c.MinConns < 0 || c.MaxConns < 1 || c.MinConns > c.MaxConns {
		errs = append(errs, fmt.Errorf("want 0 ≤ MinConns (%d) ≤ MaxConns (%d) and MaxConns ≥ 1", c.MinConns, c.MaxConns))
	}
	if c.MaxConnIdleTime < 0 || c.MaxConnLifetime < 0 {
		errs = append(errs, errors.New("durations must not be negative"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("es/postgres: pool config: %w", errors.Join(errs...))
	}
	return nil
}

// NewPool opens a connection pool sized by cfg and checks that the server answers. The
// caller closes it.
func NewPool(ctx context.Context, cfg PoolConfig) (*pgxpool.Pool, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	pc, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("es/postgres: parse database url: %w", err)
	}
	pc.MinConns, pc.MaxConns = cfg.MinConns, cfg.MaxConns
	pc.MaxConnIdleTime, pc.MaxConnLifetime = cfg.MaxConnIdleTime, cfg.MaxConnLifetime
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("es/postgres: open pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("es/postgres: ping: %w", err)
	}
	return pool, nil
}

// NewReadOnlyPool opens a pool whose sessions are read-only (default_transaction_read_only),
// of at most maxConns connections: what reads other contexts' event stores (decision 004's
// read API: the projector's rebuilds, the operators' inspection) uses.
func NewReadOnlyPool(ctx context.Context, url string, maxConns int32) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	pc.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	pc.MinConns, pc.MaxConns = 1, maxConns
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}
