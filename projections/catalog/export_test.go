package catalog

import "github.com/jackc/pgx/v5/pgxpool"

// NewQueriesIn reads the read model's tables in schema: tests give each case its own.
func NewQueriesIn(db *pgxpool.Pool, schema string) *Queries { return &Queries{db: db, schema: schema} }

// NewPerEvent returns the projection planning one statement per event (pipelined), the
// baseline of the benchmarks.
func NewPerEvent() *Projection {
	p := New()
	p.perEvent = true
	return p
}
