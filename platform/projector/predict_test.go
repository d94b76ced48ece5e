package projector_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/projector"
)

// changeCounter keeps one row per stream, created by its first event and counted up by the
// others: an event applied without its predecessor's effect changes nothing. hold, if set,
// runs after each event's effect, inside the batch's transaction.
type changeCounter struct {
	contexts []string
	hold     func(es.RecordedEvent)
}

func (p *changeCounter) Name() string       { return "changes" }
func (p *changeCounter) Contexts() []string { return p.contexts }
func (p *changeCounter) DDL(string) string {
	return `CREATE TABLE products (id text PRIMARY KEY, changes bigint NOT NULL)`
}

func (p *changeCounter) Apply(ctx context.Context, tx pgx.Tx, schema string, ev es.RecordedEvent) error {
	table := pgx.Identifier{schema, "products"}.Sanitize()
	var err error
	if ev.Version == 1 {
		_, err = tx.Exec(ctx, `INSERT INTO `+table+` VALUES ($1, 0)`, ev.StreamID)
	} else {
		_, err = tx.Exec(ctx, `UPDATE `+table+` SET changes = changes + 1 WHERE id = $1`, ev.StreamID)
	}
	if err == nil && p.hold != nil {
		p.hold(ev)
	}
	return err
}

// Two replicas share a consumer: A gets version 2 of a stream, B version 1. A's batch
// predicts that version 1 is applied; while its handler runs (and finds no row to count
// up), B applies and commits version 1, so by A's save the record is at 1, as predicted.
// The prediction must still fail: A's effect was computed without version 1's.
func TestLive_PredecessorCommittedDuringAPredictedBatch_IsNotSkipped(t *testing.T) {
	for _, predict := range []bool{true, false} {
		t.Run(fmt.Sprintf("predict=%v", predict), func(t *testing.T) {
			ctx := context.Background()
			h := newHarness(t, []string{"catalog"})
			proj := &changeCounter{contexts: []string{h.ctx("catalog")}}
			if err := h.startBuilt(h.runtime(proj), "changes")(); err != nil {
				t.Fatal(err)
			}
			event := func(v int64) es.RecordedEvent {
				return es.RecordedEvent{ID: uuid.New(), StreamID: "product-1", Version: v, Type: changedType,
					SchemaVersion: 1, RecordedAt: time.Now()}
			}
			v1, v2 := event(1), event(2)
			applying, release := make(chan struct{}), make(chan struct{})
			first := true
			proj.hold = func(ev es.RecordedEvent) {
				if ev.Version == 2 && first {
					first = false
					close(applying)
					<-release
				}
			}
			a, b := h.runtime(proj), h.runtime(proj)
			done := make(chan error, 1)
			go func() { done <- projector.ApplyLiveBatch(ctx, a, "changes", predict, v2) }()
			select {
			case <-applying: // A is inside its batch, past v2's handler
				if err := projector.ApplyLiveBatch(ctx, b, "changes", predict, v1); err != nil {
					t.Fatal(err)
				}
				close(release)
			case err := <-done: // A deferred v2 without applying it (it read the records)
				if err != nil {
					t.Fatal(err)
				}
				done <- projector.ApplyLiveBatch(ctx, b, "changes", predict, v1)
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}

			var version, changes int64
			if err := h.db.Pool.QueryRow(ctx, `SELECT s.version, p.changes FROM changes_g1.projector_streams AS s
				JOIN changes_g1.products AS p ON p.id = s.stream_id WHERE s.stream_id = 'product-1'`).Scan(&version, &changes); err != nil {
				t.Fatal(err)
			}
			if version == 2 && changes != 1 {
				t.Errorf("version 2 is recorded as applied but its effect is missing: changes = %d, want 1", changes)
			}
			if version == 1 && changes != 0 {
				t.Errorf("version 2 is not recorded as applied, yet changes = %d", changes)
			}
		})
	}
}
