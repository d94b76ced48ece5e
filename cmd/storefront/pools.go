package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
)

// connReserve is what the fleet leaves of the server's max_connections to others: the
// superuser's reserved slots, psql, migrations, tests running beside it.
const connReserve = 25

// poolShare is each process's pool size when the fleet shares a server of maxConns
// connections among processes: a burst in one service (50 checkouts at once) waits for a
// connection of its pool instead of being refused by the server ("too many clients").
func poolShare(maxConns, processes int) int {
	if processes < 1 {
		processes = 1
	}
	return min(20, max(4, (maxConns-connReserve)/processes))
}

// dbPoolEnv returns STOREFRONT_DB_MAX_CONNS for the children, from the server's
// max_connections, unless it is set already.
func dbPoolEnv(ctx context.Context, dbURL string, set bool) ([]string, error) {
	if set {
		return nil, nil
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, fmt.Errorf("read max_connections: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var v string
	if err := conn.QueryRow(ctx, `SHOW max_connections`).Scan(&v); err != nil {
		return nil, fmt.Errorf("read max_connections: %w", err)
	}
	maxConns, err := strconv.Atoi(v)
	if err != nil {
		return nil, fmt.Errorf("max_connections %q: %w", v, err)
	}
	processes := 0
	for _, p := range fleet() {
		if p.name != "gateway" { // the edge holds no database pool
			processes++
		}
	}
	return []string{"STOREFRONT_DB_MAX_CONNS=" + strconv.Itoa(poolShare(maxConns, processes))}, nil
}
