package support_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/bus/natsbus"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/es/memstore"
	"github.com/storefront/storefront/platform/projector"
	"github.com/storefront/storefront/platform/projector/projectortest"
	"github.com/storefront/storefront/platform/testkit/natstest"
	"github.com/storefront/storefront/platform/testkit/pgtest"
	"github.com/storefront/storefront/projections/support"
	supportv1 "github.com/storefront/storefront/proto/storefront/support/v1"
)

var epoch = time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return epoch.Add(d) }

func convID(n int) string { return fmt.Sprintf("00000000-0000-7000-9000-%012d", n) }

func owner(n int) string { return fmt.Sprint("user-", n%3) }

// history builds a support event log, each event the next version of its stream.
type history struct {
	t        testing.TB
	versions map[string]int64
	evs      []es.RecordedEvent
}

func (h *history) add(stream string, m proto.Message) {
	h.t.Helper()
	payload, err := proto.Marshal(m)
	if err != nil {
		h.t.Fatal(err)
	}
	h.versions[stream]++
	h.evs = append(h.evs, es.RecordedEvent{ID: uuid.New(), StreamID: stream, Version: h.versions[stream],
		Type: string(m.ProtoReflect().Descriptor().FullName()), SchemaVersion: 1, Payload: payload, RecordedAt: epoch})
}

// lifecycle is conversation n's events: started at minute n, n%4 replies (staff and
// customer in turn), every third closed.
func lifecycle(h *history, n int) {
	id, s, d := convID(n), "conversation-"+convID(n), time.Duration(n)*time.Minute
	h.add(s, &supportv1.ConversationStarted{ConversationId: id, UserId: owner(n), Subject: fmt.Sprint("Subject ", n), MessageId: fmt.Sprint("m", n, "-1"),
		AuthorName: "Customer", Text: "Help", StartedAt: at(d).UnixMicro()})
	for i := range n % 4 {
		role, name := "staff", "Staff"
		if i%2 == 1 {
			role, name = "customer", "Customer"
		}
		h.add(s, &supportv1.MessagePosted{ConversationId: id, UserId: owner(n), MessageId: fmt.Sprint("m", n, "-", i+2), Sequence: int32(i + 2),
			AuthorId: "x", AuthorRole: role, AuthorName: name, Text: fmt.Sprint("Reply ", i), PostedAt: at(d + time.Duration(i+1)*time.Second).UnixMicro()})
	}
	if n%3 == 0 {
		h.add(s, &supportv1.ConversationClosed{ConversationId: id, UserId: owner(n), ClosedByUserId: owner(n), ClosedByRole: "customer",
			ClosedAt: at(d + 10*time.Second).UnixMicro()})
	}
}

// want is the read model of conversations 0..n-1 of the filter, newest activity first.
func want(n int, f support.Filter) []support.Conversation {
	out := []support.Conversation{}
	for i := n - 1; i >= 0; i-- {
		d := time.Duration(i) * time.Minute
		c := support.Conversation{ID: convID(i), UserID: owner(i), Subject: fmt.Sprint("Subject ", i), Status: "open", MessageCount: 1 + i%4,
			Last:      support.Message{ID: fmt.Sprint("m", i, "-1"), Sequence: 1, AuthorRole: "customer", AuthorName: "Customer", Text: "Help", CreatedAt: at(d)},
			CreatedAt: at(d), UpdatedAt: at(d)}
		if k := i % 4; k > 0 {
			role, name := "staff", "Staff"
			if (k-1)%2 == 1 {
				role, name = "customer", "Customer"
			}
			c.Last = support.Message{ID: fmt.Sprint("m", i, "-", k+1), Sequence: int32(k + 1), AuthorRole: role, AuthorName: name,
				Text: fmt.Sprint("Reply ", k-1), CreatedAt: at(d + time.Duration(k)*time.Second)}
			c.UpdatedAt = c.Last.CreatedAt
		}
		if i%3 == 0 {
			c.Status, c.UpdatedAt = "closed", at(d+10*time.Second)
		}
		if (f.UserID == "" || f.UserID == c.UserID) && (f.Status == "" || f.Status == c.Status) {
			out = append(out, c)
		}
	}
	return out
}

func dump(t *testing.T, db *pgxpool.Pool, schema string) string {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT id, user_id, subject, status, message_count, last_message_id, last_sequence,
			last_author_role, last_author_name, last_text, last_message_at, created_at, updated_at
		FROM `+pgx.Identifier{schema, "conversations"}.Sanitize()+` ORDER BY id`)
	if err != nil {
		return "error: " + err.Error()
	}
	var b strings.Builder
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&b, vals...)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestProjection_OnTheRuntime: first build from the store, live events from JetStream, then
// a rebuild into a new generation; the rebuilt tables equal the live ones, and
// Conversations pages them newest activity first, by owner and status.
func TestProjection_OnTheRuntime(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t, projector.Migrations())
	env := natstest.New(t)
	bc := env.Prefix + "_support"
	if _, err := env.JS.CreateStream(ctx, natsbus.StreamConfig(bc, 1, time.Hour)); err != nil {
		t.Fatal(err)
	}
	store := memstore.New()
	rt, err := projector.New(projector.Config{Pool: db.Pool, JetStream: env.JS, Stores: map[string]es.LogReader{bc: store},
		BatchSize: 40, FetchWait: 100 * time.Millisecond, RebuildBatchSize: 25, GapDelay: 50 * time.Millisecond,
		RetryDelays: []time.Duration{10 * time.Millisecond}}, support.NewForContext(bc))
	if err != nil {
		t.Fatal(err)
	}
	record := func(h *history, publish bool) {
		t.Helper()
		for _, ev := range h.evs {
			if _, err := store.Append(ctx, ev.StreamID, es.Exact(ev.Version-1), []es.EventData{{ID: ev.ID, Type: ev.Type,
				SchemaVersion: ev.SchemaVersion, Payload: ev.Payload}}); err != nil {
				t.Fatal(err)
			}
			if publish {
				if _, err := env.JS.PublishMsg(ctx, natsbus.Encode(natsbus.Subject(bc, ev), ev)); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	reaches := func(what string, n int) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			got, total, err := support.Conversations(ctx, db.Pool, support.Filter{}, 0, 100)
			if err == nil && cmp.Equal(want(n, support.Filter{}), got) && total == len(got) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the read model never reached the expected conversations (err %v; -want +got):\n%s", what, err,
					cmp.Diff(want(n, support.Filter{}), got))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	first := &history{t: t, versions: map[string]int64{}}
	for i := range 20 {
		lifecycle(first, i)
	}
	record(first, false)
	if _, _, err := support.Conversations(ctx, db.Pool, support.Filter{}, 0, 10); !errors.Is(err, support.ErrNotBuilt) {
		t.Fatalf("read before the first build: %v, want ErrNotBuilt", err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- rt.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	reaches("first build", 20)

	second := &history{t: t, versions: first.versions}
	for i := 20; i < 40; i++ {
		lifecycle(second, i)
	}
	record(second, true)
	reaches("live", 40)
	live := dump(t, db.Pool, support.Name)

	for _, f := range []support.Filter{{UserID: "user-1"}, {Status: "open"}, {UserID: "user-2", Status: "closed"}, {UserID: "nobody"}} {
		got, total, err := support.Conversations(ctx, db.Pool, f, 0, 100)
		if w := want(40, f); err != nil || total != len(w) || !cmp.Equal(w, got) {
			t.Fatalf("filter %+v: %d of %d, %v (-want +got):\n%s", f, len(got), total, err, cmp.Diff(w, got))
		}
	}
	page, total, err := support.Conversations(ctx, db.Pool, support.Filter{}, 10, 5)
	if err != nil || total != 40 || !cmp.Equal(want(40, support.Filter{})[10:15], page) {
		t.Fatalf("page 3 of 5: %d items of %d, %v", len(page), total, err)
	}
	page, total, err = support.Conversations(ctx, db.Pool, support.Filter{Status: "open"}, 500, 5)
	if err != nil || total != len(want(40, support.Filter{Status: "open"})) || len(page) != 0 {
		t.Fatalf("past the end: %d items of %d, %v", len(page), total, err)
	}

	if err := rt.Rebuild(ctx, support.Name); err != nil {
		t.Fatal(err)
	}
	if rebuilt := dump(t, db.Pool, support.Name); rebuilt != live {
		t.Fatalf("the rebuild differs from the live read model (-live +rebuilt):\n%s", cmp.Diff(live, rebuilt))
	}
	parked, err := rt.Parked(ctx, support.Name)
	if err != nil || len(parked) != 0 {
		t.Fatalf("parked events: %v, %v", parked, err)
	}
}

// TestProjection_BatchContract: ApplyBatch has the effect of Apply event by event.
func TestProjection_BatchContract(t *testing.T) {
	db := pgtest.New(t)
	h := &history{t: t, versions: map[string]int64{}}
	for i := range 20 {
		lifecycle(h, i)
	}
	projectortest.RunBatchContract(t, db.Pool, support.New(), h.evs, dump)
}

// TestProjection_MessageOfAMissingConversationFails: a message the read model cannot place is
// an error (the runtime retries, then parks it), never skipped silently.
func TestProjection_MessageOfAMissingConversationFails(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	h := &history{t: t, versions: map[string]int64{}}
	h.add("conversation-"+convID(1), &supportv1.MessagePosted{ConversationId: convID(1), Sequence: 2, Text: "x", PostedAt: at(0).UnixMicro()})
	p := support.New()
	err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "CREATE SCHEMA g1; SET LOCAL search_path = g1; "+p.DDL("g1")); err != nil {
			return err
		}
		return p.Apply(ctx, tx, "g1", h.evs[0])
	})
	if err == nil || !strings.Contains(err.Error(), "lacks") {
		t.Fatalf("message of a missing conversation: %v", err)
	}
}
