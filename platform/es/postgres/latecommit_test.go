package postgres

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/testkit/pgtest"
)

const testSchema = "es_late"

func newTestStore(t *testing.T) *Store {
	t.Helper()
	db := pgtest.New(t, Migrations(testSchema))
	s, err := New(db.Pool, testSchema)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func request(t *testing.T, stream, typ string) es.AppendRequest {
	t.Helper()
	req, err := es.NewAppendRequest(stream, es.Any, []es.EventData{{Type: typ}})
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// naiveReadAll is the classic broken tailing query: order by the sequence alone.
func naiveReadAll(t *testing.T, s *Store, after int64) []es.RecordedEvent {
	t.Helper()
	rows, err := s.pool.Query(t.Context(), `SELECT `+eventColumns+` FROM `+pgx.Identifier{s.schema, "events"}.Sanitize()+`
		WHERE global_position > $1 ORDER BY global_position`, after)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := pgx.CollectRows(rows, scanEvent)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// tail reads the log after `after` until it holds at least want events (other tests' transactions
// on the server may hold events back for a moment), then once more, and returns them all.
func tail(t *testing.T, s *Store, after es.Position, want int) []es.RecordedEvent {
	t.Helper()
	var out []es.RecordedEvent
	deadline := time.Now().Add(10 * time.Second)
	for {
		batch, err := s.ReadAll(t.Context(), after, 100)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, batch...)
		switch {
		case len(batch) > 0:
			after = batch[len(batch)-1].Position
		case len(out) >= want:
			return out
		case time.Now().After(deadline):
			t.Fatalf("ReadAll gave %v, want %d events", types(out), want)
		default:
			time.Sleep(5 * time.Millisecond)
		}
	}
}

func types(evs []es.RecordedEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Type
	}
	return out
}

// TestReadAll_LateCommitIsNotSkipped stages the gap deterministically: a transaction draws a
// sequence number, a later one draws a higher number and commits, a reader tails, and only
// then the first commits. The naive reader (global_position > last) skips the late event;
// ReadAll holds the later one back until the early one is settled and so gets both, in order.
func TestReadAll_LateCommitIsNotSkipped(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	if _, err := s.Append(ctx, "first", es.NoStream, []es.EventData{{Type: "first"}}); err != nil {
		t.Fatal(err)
	}

	slow, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Rollback(context.Background())
	early, err := s.append(ctx, slow, request(t, "slow", "early"))
	if err != nil {
		t.Fatal(err)
	}
	late, err := s.Append(ctx, "fast", es.Any, []es.EventData{{Type: "late"}})
	if err != nil {
		t.Fatal(err)
	}
	if early.Positions[0].Global >= late.Positions[0].Global {
		t.Fatalf("set-up: the open transaction drew %d, the committed one %d; want the open one lower", early.Positions[0].Global, late.Positions[0].Global)
	}

	// Both readers tail while the early transaction is open.
	naive := naiveReadAll(t, s, 0)
	if !slices.Equal(types(naive), []string{"first", "late"}) {
		t.Fatalf("set-up: naive reader saw %v, want [first late]", types(naive))
	}
	naiveLast := naive[len(naive)-1].Position.Global
	got := tail(t, s, es.Position{}, 1)
	if !slices.Equal(types(got), []string{"first"}) {
		t.Fatalf("ReadAll with a transaction in flight returned %v, want only [first]", types(got))
	}
	if head, err := s.Head(ctx); err != nil || head != late.Positions[0] {
		t.Fatalf("Head = %v, %v; want the committed %v although ReadAll holds it back", head, err, late.Positions[0])
	}
	last := got[0].Position

	if err := slow.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if missed := naiveReadAll(t, s, naiveLast); len(missed) != 0 {
		t.Fatalf("set-up: the naive reader should have skipped the early event, got %v", types(missed))
	}
	got = tail(t, s, last, 2)
	if !slices.Equal(types(got), []string{"early", "late"}) {
		t.Fatalf("ReadAll after the commit returned %v, want [early late]", types(got))
	}
	if head, err := s.Head(ctx); err != nil || head != got[1].Position {
		t.Fatalf("Head = %v, %v; want the last event read, %v", head, err, got[1].Position)
	}
}

// TestReadAll_AbortedTransactionLeavesNoHole: a rolled-back append holds the reader back
// while it runs and leaves nothing behind.
func TestReadAll_AbortedTransactionLeavesNoHole(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background()) // a no-op once rolled back; frees the connection if the test fails first
	if _, err := s.append(ctx, tx, request(t, "doomed", "doomed")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, "ok", es.Any, []es.EventData{{Type: "ok"}}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ReadAll(ctx, es.Position{}, 100); err != nil || len(got) != 0 {
		t.Fatalf("ReadAll with a transaction in flight = %v, %v; want nothing yet", types(got), err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if got := tail(t, s, es.Position{}, 1); !slices.Equal(types(got), []string{"ok"}) {
		t.Fatalf("ReadAll after the rollback = %v, want [ok]", types(got))
	}
}

// TestAppendEvents_RefusesATransactionThatAlreadyWrote guards the assumption of the global
// order: append_events takes the transaction's xid itself, under the stream lock.
func TestAppendEvents_RefusesATransactionThatAlreadyWrote(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, `SELECT pg_current_xact_id()`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.append(ctx, tx, request(t, "s", "t")); err == nil {
		t.Fatal("append_events ran in a transaction that already had an xid")
	}
}

// TestAppend_BatchBindsEveryFieldToItsEvent checks the column arrays of a batch row by row
// in the table itself (the MallBots bug bound parameters of event i to the wrong index).
func TestAppend_BatchBindsEveryFieldToItsEvent(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	var evs []es.EventData
	for i := range 5 {
		evs = append(evs, es.EventData{
			ID:            uuid.MustParse("0190e4c2-7b4a-7000-8000-00000000000" + string(rune('1'+i))),
			Type:          "type-" + string(rune('a'+i)),
			SchemaVersion: 10 + i,
			Payload:       []byte{byte(i), 0xff},
			Metadata: es.Metadata{
				CorrelationID: "corr-" + string(rune('a'+i)), CausationID: "cause-" + string(rune('a'+i)),
				UserID: "user-" + string(rune('a'+i)), TraceParent: "tp-" + string(rune('a'+i)), TraceState: "ts-" + string(rune('a'+i)),
			},
		})
	}
	if _, err := s.Append(ctx, "batch", es.NoStream, evs); err != nil {
		t.Fatal(err)
	}
	rows, err := s.pool.Query(ctx, `SELECT event_id, stream_version, event_type, schema_version, payload,
		correlation_id, causation_id, user_id, trace_parent, trace_state
		FROM `+pgx.Identifier{testSchema, "events"}.Sanitize()+` ORDER BY global_position`)
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	for rows.Next() {
		var (
			id      [16]byte
			version int64
			schema  int32
			payload []byte
			typ     string
			m       es.Metadata
		)
		if err := rows.Scan(&id, &version, &typ, &schema, &payload, &m.CorrelationID, &m.CausationID, &m.UserID, &m.TraceParent, &m.TraceState); err != nil {
			t.Fatal(err)
		}
		want := evs[i]
		if uuid.UUID(id) != want.ID || version != int64(i+1) || typ != want.Type || int(schema) != want.SchemaVersion || string(payload) != string(want.Payload) || m != want.Metadata {
			t.Errorf("row %d = %v v%d %s s%d %x %+v, want %+v", i, uuid.UUID(id), version, typ, schema, payload, m, want)
		}
		i++
	}
	if err := rows.Err(); err != nil || i != len(evs) {
		t.Fatalf("%d rows, %v; want %d", i, err, len(evs))
	}
}
