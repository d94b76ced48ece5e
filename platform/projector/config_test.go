package projector_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/es/memstore"
	"github.com/storefront/storefront/platform/projector"
)

type named struct{ name string }

func (n named) Name() string       { return n.name }
func (n named) Contexts() []string { return []string{"catalog"} }
func (n named) DDL(string) string  { return "" }
func (n named) Apply(context.Context, pgx.Tx, string, es.RecordedEvent) error {
	return nil
}

func TestNew_RejectsBadConfigurationAndProjections(t *testing.T) {
	t.Parallel()
	pool := &pgxpool.Pool{} // never used: New does not connect
	stores := map[string]es.LogReader{"catalog": memstore.New()}
	tests := []struct {
		name  string
		cfg   projector.Config
		projs []projector.Projection
		want  string
	}{
		{"no pool", projector.Config{Stores: stores}, nil, "Pool is required"},
		{"bad max deliver", projector.Config{Pool: pool, MaxDeliver: 1}, nil, "MaxDeliver"},
		{"bad name", projector.Config{Pool: pool, Stores: stores}, []projector.Projection{named{"Orders"}}, `"Orders"`},
		{"generation-like name", projector.Config{Pool: pool, Stores: stores}, []projector.Projection{named{"orders_g2"}}, `"orders_g2"`},
		{"reserved name", projector.Config{Pool: pool, Stores: stores}, []projector.Projection{named{"projector"}}, `"projector"`},
		{"twice", projector.Config{Pool: pool, Stores: stores}, []projector.Projection{named{"orders"}, named{"orders"}}, "twice"},
		{"no store", projector.Config{Pool: pool}, []projector.Projection{named{"orders"}}, "no store"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := projector.New(tt.cfg, tt.projs...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want an error mentioning %s", err, tt.want)
			}
		})
	}
	if _, err := projector.New(projector.Config{Pool: pool, Stores: stores}, named{"orders"}); err != nil {
		t.Errorf("New with a valid configuration: %v", err)
	}
}
