package app_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/testkit/pgtest"
	identityv1 "github.com/storefront/storefront/proto/storefront/identity/v1"
	orderingv1 "github.com/storefront/storefront/proto/storefront/ordering/v1"
	supportv1 "github.com/storefront/storefront/proto/storefront/support/v1"
	"github.com/storefront/storefront/services/notifications/internal/adapters"
	"github.com/storefront/storefront/services/notifications/internal/app"
	"github.com/storefront/storefront/services/notifications/internal/domain"
)

// inbox is an SMTP server in the test: it speaks the real protocol and keeps what it gets.
type inbox struct {
	mu    sync.Mutex
	mails []received
}

type received struct {
	from string
	to   []string
	data string
}

type session struct {
	in  *inbox
	cur received
}

func (in *inbox) NewSession(*smtp.Conn) (smtp.Session, error)  { return &session{in: in}, nil }
func (s *session) Reset()                                      { s.cur = received{} }
func (s *session) Logout() error                               { return nil }
func (s *session) Mail(from string, _ *smtp.MailOptions) error { s.cur.from = from; return nil }
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = string(b)
	s.in.mu.Lock()
	s.in.mails = append(s.in.mails, s.cur)
	s.in.mu.Unlock()
	return nil
}

func (in *inbox) all() []received {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]received(nil), in.mails...)
}

func startSMTP(t *testing.T) (string, *inbox) {
	t.Helper()
	in := &inbox{}
	srv := smtp.NewServer(in)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(func() { _ = srv.Close() })
	return lis.Addr().String(), in
}

func event(t *testing.T, m proto.Message, version int64) (es.RecordedEvent, proto.Message) {
	t.Helper()
	return es.RecordedEvent{ID: uuid.New(), Version: version, Type: string(m.ProtoReflect().Descriptor().FullName())}, m
}

// TestNotifier_SendsEachMailOnceOverSMTP: the order's events become mails through a real
// SMTP exchange; a redelivered event sends nothing again; a mail for a customer the notifier
// does not know yet waits (an error: the reaction retries) until identity's event arrives.
func TestNotifier_SendsEachMailOnceOverSMTP(t *testing.T) {
	addr, in := startSMTP(t)
	db := pgtest.New(t, adapters.Migrations("notifications"))
	composer, err := domain.NewComposer("Storefront", "https://shop.test/orders/{order_id}")
	if err != nil {
		t.Fatal(err)
	}
	a := &app.App{Store: adapters.Store{Pool: db.Pool, Schema: "notifications"}, Mailer: adapters.SMTP{Addr: addr}, Composer: composer}
	ctx := context.Background()
	user, order := uuid.NewString(), uuid.NewString()
	placedEv, placed := event(t, &orderingv1.OrderPlaced{OrderId: order, UserId: user, Currency: "USD", SubtotalMinor: 5_000, TotalMinor: 5_000,
		Lines: []*orderingv1.PlacedLine{{Name: "Mechanical keyboard", Sku: "KB", UnitPriceMinor: 5_000, Quantity: 1}}}, 1)

	if err := a.OnOrdering(ctx, placedEv, placed); err == nil {
		t.Fatal("a mail to an unknown customer was sent")
	}
	if ev, m := event(t, &identityv1.UserRegistered{UserId: user, Email: "ada@example.com", Name: "Ada"}, 1); a.OnIdentity(ctx, ev, m) != nil {
		t.Fatal("register")
	}
	if ev, m := event(t, &identityv1.ProfileUpdated{UserId: user, Name: "Ada Lovelace"}, 3); a.OnIdentity(ctx, ev, m) != nil {
		t.Fatal("rename")
	}
	if ev, m := event(t, &identityv1.ProfileUpdated{UserId: user, Name: "Old name"}, 2); a.OnIdentity(ctx, ev, m) != nil {
		t.Fatal("late rename")
	}
	paidEv, paid := event(t, &orderingv1.OrderPaid{OrderId: order, PaymentStatus: "succeeded"}, 5)
	refundEv, refund := event(t, &orderingv1.RefundIssued{OrderId: order, RefundId: "cancel", AmountMinor: 5_000}, 9)
	for range 2 { // every event delivered twice
		for _, e := range []struct {
			ev es.RecordedEvent
			m  proto.Message
		}{{placedEv, placed}, {paidEv, paid}, {refundEv, refund}} {
			if err := a.OnOrdering(ctx, e.ev, e.m); err != nil {
				t.Fatal(err)
			}
		}
	}
	got := in.all()
	if len(got) != 3 {
		t.Fatalf("%d mails, want 3", len(got))
	}
	for i, want := range []string{"is placed", "Receipt for your order", "Your refund"} {
		m := got[i]
		if len(m.to) != 1 || m.to[0] != "ada@example.com" || !strings.Contains(m.data, want) || !strings.Contains(m.data, "Hello Ada Lovelace") {
			t.Fatalf("mail %d to %v:\n%s", i, m.to, m.data)
		}
		if !strings.Contains(m.data, "text/plain") || !strings.Contains(m.data, "text/html") {
			t.Fatalf("mail %d is not text and HTML:\n%s", i, m.data)
		}
	}
	if !strings.Contains(got[2].data, "50.00 USD") {
		t.Fatalf("the refund mail lacks its amount:\n%s", got[2].data)
	}
	mails, err := a.Store.Mails(ctx, user)
	if err != nil || len(mails) != 3 {
		t.Fatalf("records: %v %v", mails, err)
	}
}

// TestNotifier_MailsTheStaffOncePerConversationWindow: a customer's first message mails the
// staff; more messages within 10 minutes do not, a message after them does; staff messages
// never do; a redelivered event sends nothing again, and two conversations keep their own
// windows.
func TestNotifier_MailsTheStaffOncePerConversationWindow(t *testing.T) {
	addr, in := startSMTP(t)
	db := pgtest.New(t, adapters.Migrations("notifications"))
	composer, err := domain.NewComposer("Storefront", "https://shop.test/orders/{order_id}")
	if err != nil {
		t.Fatal(err)
	}
	a := &app.App{Store: adapters.Store{Pool: db.Pool, Schema: "notifications"}, Mailer: adapters.SMTP{Addr: addr}, Composer: composer,
		Support: app.Support{To: "staff@shop.test", URL: "https://shop.test/support/{conversation_id}"}}
	ctx := context.Background()
	t0 := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	conv, other := uuid.NewString(), uuid.NewString()
	started := func(id string, at time.Time) (es.RecordedEvent, proto.Message) {
		return event(t, &supportv1.ConversationStarted{ConversationId: id, UserId: "ada", Subject: "Sticky E key", MessageId: "m1",
			AuthorName: "Ada", Text: "My E key sticks.", StartedAt: at.UnixMicro()}, 1)
	}
	posted := func(id string, seq int32, role string, at time.Time) (es.RecordedEvent, proto.Message) {
		return event(t, &supportv1.MessagePosted{ConversationId: id, UserId: "ada", MessageId: fmt.Sprint("m", seq), Sequence: seq,
			AuthorRole: role, AuthorName: "Ada", Text: fmt.Sprintf("message %d", seq), PostedAt: at.UnixMicro()}, int64(seq))
	}
	type delivery struct {
		ev es.RecordedEvent
		m  proto.Message
	}
	var evs []delivery
	add := func(ev es.RecordedEvent, m proto.Message) { evs = append(evs, delivery{ev, m}) }
	add(started(conv, t0))                                    // mails
	add(posted(conv, 2, "staff", t0.Add(time.Minute)))        // staff: never
	add(posted(conv, 3, "customer", t0.Add(2*time.Minute)))   // within the window
	add(started(other, t0.Add(3*time.Minute)))                // another conversation: mails
	add(posted(conv, 4, "customer", t0.Add(9*time.Minute)))   // still within
	add(posted(conv, 5, "customer", t0.Add(11*time.Minute)))  // the window has passed: mails
	add(posted(conv, 6, "customer", t0.Add(12*time.Minute)))  // within the new window
	add(posted(other, 2, "customer", t0.Add(14*time.Minute))) // other's window passed: mails
	for range 2 {                                             // every event delivered twice
		for _, d := range evs {
			if err := a.OnSupport(ctx, d.ev, d.m); err != nil {
				t.Fatal(err)
			}
		}
	}
	got := in.all()
	want := []string{"My E key sticks.", "My E key sticks.", "message 5", "message 2"}
	if len(got) != len(want) {
		t.Fatalf("%d mails, want %d", len(got), len(want))
	}
	for i, w := range want {
		m := got[i]
		if len(m.to) != 1 || m.to[0] != "staff@shop.test" || !strings.Contains(m.data, w) || !strings.Contains(m.data, "Sticky E key") {
			t.Fatalf("mail %d to %v:\n%s", i, m.to, m.data)
		}
	}
	if !strings.Contains(got[2].data, "https://shop.test/support/"+conv) {
		t.Fatalf("the mail lacks the conversation's link:\n%s", got[2].data)
	}
}
