package app_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/es/postgres"
	"github.com/storefront/storefront/platform/projector"
	"github.com/storefront/storefront/platform/reqctx"
	"github.com/storefront/storefront/platform/testkit/pgtest"
	readmodel "github.com/storefront/storefront/projections/support"
	"github.com/storefront/storefront/services/support/internal/adapters"
	"github.com/storefront/storefront/services/support/internal/app"
	"github.com/storefront/storefront/services/support/internal/domain"
)

const (
	ada   = "0190a000-0000-7000-8000-000000000001"
	grace = "0190a000-0000-7000-8000-000000000002"
	staff = "0190a000-0000-7000-8000-0000000000ad"
)

type authors struct{}

func (authors) CallerName(ctx context.Context) (string, error) {
	switch reqctx.From(ctx).Actor.UserID {
	case ada:
		return "Ada", nil
	case grace:
		return "Grace", nil
	}
	return "Sam Staff", nil
}

// env is the application on its own PostgreSQL database: the support event store and the
// support read model, which refresh rebuilds from the store (the projector's rebuild,
// without JetStream).
type env struct {
	app   *app.App
	store *postgres.Store
	rt    *projector.Runtime
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db := pgtest.New(t, postgres.Migrations("support"), projector.Migrations())
	store, err := postgres.New(db.Pool, "support")
	if err != nil {
		t.Fatal(err)
	}
	rt, err := projector.New(projector.Config{Pool: db.Pool, Stores: map[string]es.LogReader{"support": store}}, readmodel.New())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	clock := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	return &env{store: store, rt: rt, app: &app.App{
		Conversations: aggregate.NewStore(store, domain.Registry(), domain.NewConversation),
		Authors:       authors{},
		ReadModel:     adapters.ReadModel{Pool: db.Pool},
		IDs:           app.NewID,
		Clock: func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			clock = clock.Add(time.Minute)
			return clock
		},
	}}
}

// refresh brings the read model up to the event store.
func (e *env) refresh(t *testing.T) {
	t.Helper()
	if err := e.rt.Rebuild(context.Background(), readmodel.Name); err != nil {
		t.Fatal(err)
	}
}

func (e *env) events(t *testing.T) int {
	t.Helper()
	evs, err := e.store.ReadAll(context.Background(), es.Position{}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

func as(userID, role string) context.Context {
	return reqctx.With(context.Background(), reqctx.Info{Actor: reqctx.Actor{UserID: userID, Role: role}})
}

var (
	asAda   = as(ada, "customer")
	asGrace = as(grace, "customer")
	asStaff = as(staff, "admin")
)

func fieldsOf(err error) []string {
	var v *errs.Validation
	if !errors.As(err, &v) {
		return nil
	}
	var out []string
	for _, x := range v.Violations {
		out = append(out, x.Field)
	}
	return out
}

func TestConversation_OwnerAndStaffOnly_OthersNotFound(t *testing.T) {
	e := newEnv(t)
	c, err := e.app.StartConversation(asAda, app.StartConversation{Subject: "Broken key", Message: "My E key sticks."})
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != domain.StatusOpen || c.UserID != ada || len(c.Messages) != 1 || c.Messages[0].AuthorName != "Ada" {
		t.Fatalf("started %+v", c)
	}
	// Read-your-writes: the stream, not the read model (which is not built here).
	for _, ctx := range []context.Context{asAda, asStaff} {
		got, err := e.app.GetConversation(ctx, c.ID)
		if err != nil || got.ID != c.ID {
			t.Fatalf("get: %+v, %v", got, err)
		}
	}
	for name, err := range map[string]error{
		"get by another":   func() error { _, err := e.app.GetConversation(asGrace, c.ID); return err }(),
		"post by another":  func() error { _, err := e.app.PostMessage(asGrace, c.ID, "hi"); return err }(),
		"close by another": func() error { _, err := e.app.CloseConversation(asGrace, c.ID); return err }(),
		"unknown id": func() error {
			_, err := e.app.GetConversation(asAda, "0190a000-0000-7000-8000-00000000ffff")
			return err
		}(),
		"malformed id": func() error { _, err := e.app.PostMessage(asAda, "nope", "hi"); return err }(),
	} {
		if !errors.Is(err, errs.NotFound) {
			t.Errorf("%s: %v, want not found", name, err)
		}
	}
	if _, err := e.app.GetConversation(context.Background(), c.ID); !errors.Is(err, errs.Unauthenticated) {
		t.Fatalf("anonymous: %v", err)
	}

	reply, err := e.app.PostMessage(asStaff, c.ID, "We are sending a new keycap.")
	if err != nil || reply.AuthorRole != domain.RoleStaff || reply.Sequence != 2 || reply.AuthorName != "Sam Staff" {
		t.Fatalf("staff reply %+v, %v", reply, err)
	}
	again, err := e.app.PostMessage(asAda, c.ID, "Thanks!")
	if err != nil || again.AuthorRole != domain.RoleCustomer || again.Sequence != 3 {
		t.Fatalf("customer message %+v, %v", again, err)
	}
	closed, err := e.app.CloseConversation(asAda, c.ID)
	if err != nil || closed.Status != domain.StatusClosed || closed.MessageCount != 3 {
		t.Fatalf("closed %+v, %v", closed, err)
	}
	n := e.events(t)
	if _, err := e.app.PostMessage(asStaff, c.ID, "One more thing"); !errors.Is(err, errs.FailedPrecondition) {
		t.Fatalf("message in a closed conversation: %v", err)
	}
	if _, err := e.app.CloseConversation(asStaff, c.ID); err != nil {
		t.Fatalf("close again: %v", err)
	}
	if e.events(t) != n {
		t.Fatal("a refused message or a second close recorded events")
	}
}

func TestBadInput_ChangesNothing(t *testing.T) {
	e := newEnv(t)
	c, err := e.app.StartConversation(asAda, app.StartConversation{Subject: "Hi", Message: "Hello"})
	if err != nil {
		t.Fatal(err)
	}
	n := e.events(t)
	tests := []struct {
		name   string
		run    func() error
		fields []string
	}{
		{"no subject, long message", func() error {
			_, err := e.app.StartConversation(asAda, app.StartConversation{Subject: " ", Message: strings.Repeat("x", domain.MaxTextLength+1)})
			return err
		}, []string{"subject", "message"}},
		{"subject too long", func() error {
			_, err := e.app.StartConversation(asAda, app.StartConversation{Subject: strings.Repeat("s", domain.MaxSubjectLength+1), Message: "x"})
			return err
		}, []string{"subject"}},
		{"empty text", func() error { _, err := e.app.PostMessage(asAda, c.ID, ""); return err }, []string{"text"}},
		{"text too long", func() error {
			_, err := e.app.PostMessage(asStaff, c.ID, strings.Repeat("é", domain.MaxTextLength+1))
			return err
		}, []string{"text"}},
		{"bad status and page", func() error {
			_, err := e.app.ListConversations(asAda, "pending", app.Page{Page: new(int32(0))})
			return err
		}, []string{"page", "status"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			if !errors.Is(err, errs.InvalidArgument) {
				t.Fatalf("err = %v, want invalid argument", err)
			}
			if diff := cmp.Diff(tt.fields, fieldsOf(err)); diff != "" {
				t.Fatalf("fields (-want +got):\n%s", diff)
			}
		})
	}
	if e.events(t) != n {
		t.Fatal("bad input recorded events")
	}
}

func TestListConversations_OwnNewestActivityFirst_StaffSeesAll(t *testing.T) {
	e := newEnv(t)
	start := func(ctx context.Context, subject string) domain.View {
		t.Helper()
		c, err := e.app.StartConversation(ctx, app.StartConversation{Subject: subject, Message: "Hello"})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	first, second, other := start(asAda, "First"), start(asAda, "Second"), start(asGrace, "Grace's")
	if _, err := e.app.PostMessage(asStaff, first.ID, "Reply"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.CloseConversation(asAda, second.ID); err != nil {
		t.Fatal(err)
	}
	e.refresh(t)
	ids := func(ctx context.Context, status string) []string {
		t.Helper()
		page, err := e.app.ListConversations(ctx, status, app.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != len(page.Items) {
			t.Fatalf("total %d of %d items", page.Total, len(page.Items))
		}
		var out []string
		for _, c := range page.Items {
			if len(c.Messages) != 1 {
				t.Fatalf("a list item holds %d messages, want the latest only", len(c.Messages))
			}
			out = append(out, c.Subject)
		}
		return out
	}
	// The close came last (second), then the staff's reply (first).
	for _, tt := range []struct {
		ctx    context.Context
		status string
		want   []string
	}{
		{asAda, "", []string{second.Subject, first.Subject}},
		{asAda, domain.StatusOpen, []string{first.Subject}},
		{asAda, domain.StatusClosed, []string{second.Subject}},
		{asGrace, "", []string{other.Subject}},
		{asStaff, "", []string{second.Subject, first.Subject, other.Subject}},
		{asStaff, domain.StatusOpen, []string{first.Subject, other.Subject}},
	} {
		if diff := cmp.Diff(tt.want, ids(tt.ctx, tt.status)); diff != "" {
			t.Errorf("%s %q (-want +got):\n%s", reqctx.From(tt.ctx).Actor.UserID, tt.status, diff)
		}
	}
	page, err := e.app.ListConversations(asAda, "", app.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if m := page.Items[1].Messages[0]; m.AuthorRole != domain.RoleStaff || m.Text != "Reply" || page.Items[1].MessageCount != 2 {
		t.Fatalf("latest message of the first: %+v", page.Items[1])
	}
}

// TestPostMessage_ConcurrentWritersKeepEveryMessage: messages written at once each get their
// own sequence number; none is lost.
func TestPostMessage_ConcurrentWritersKeepEveryMessage(t *testing.T) {
	e := newEnv(t)
	e.app.Conversations = aggregate.NewStore(e.store, domain.Registry(), domain.NewConversation, aggregate.WithRetries(20))
	c, err := e.app.StartConversation(asAda, app.StartConversation{Subject: "Busy", Message: "Hello"})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		ctx := asAda
		if i%2 == 0 {
			ctx = asStaff
		}
		wg.Go(func() {
			if _, err := e.app.PostMessage(ctx, c.ID, "message"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, err := e.app.GetConversation(asAda, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.MessageCount != 9 {
		t.Fatalf("%d messages, want 9", got.MessageCount)
	}
	for i, m := range got.Messages {
		if m.Sequence != int32(i+1) {
			t.Fatalf("message %d has sequence %d", i, m.Sequence)
		}
	}
}
