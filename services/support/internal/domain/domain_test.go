package domain

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/events"
	supportv1 "github.com/storefront/storefront/proto/storefront/support/v1"
)

var now = time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)

const (
	conv = "0190a000-0000-7000-8000-0000000000c1"
	ada  = "0190a000-0000-7000-8000-000000000001"
)

var (
	customer = Author{UserID: ada, Name: "Ada"}
	grace    = Author{UserID: "0190a000-0000-7000-8000-000000000002", Name: "Grace"}
	staff    = Author{UserID: "0190a000-0000-7000-8000-0000000000ad", Name: "Admin", Staff: true}
)

// replay rebuilds a conversation from the events c recorded, as loading does.
func replay(t *testing.T, c *Conversation) *Conversation {
	t.Helper()
	got := NewConversation(c.StreamID())
	for _, e := range c.Pending() {
		if err := got.Apply(e); err != nil {
			t.Fatal(err)
		}
	}
	return got
}

func started(t *testing.T) *Conversation {
	t.Helper()
	c := NewConversation(Stream(conv))
	if err := c.Start(customer, "m1", " Broken key ", " My E key sticks. ", now); err != nil {
		t.Fatal(err)
	}
	return c
}

func fields(t *testing.T, err error) []string {
	t.Helper()
	var v *errs.Validation
	if !errors.As(err, &v) {
		t.Fatalf("err = %v, want a validation error", err)
	}
	var out []string
	for _, f := range v.Violations {
		out = append(out, f.Field)
	}
	return out
}

func TestConversation_Start(t *testing.T) {
	long := func(n int) string { return strings.Repeat("é", n) }
	tests := []struct {
		name             string
		subject, message string
		fields           []string
	}{
		{"valid", "Broken key", "My E key sticks.", nil},
		{"longest", long(MaxSubjectLength), long(MaxTextLength), nil},
		{"longest after trimming", "  " + long(MaxSubjectLength) + " ", long(MaxTextLength) + "\n", nil},
		{"no subject", "  ", "hello", []string{"subject"}},
		{"no message", "Hi", "", []string{"message"}},
		{"subject too long", long(MaxSubjectLength + 1), "hello", []string{"subject"}},
		{"message too long", "Hi", long(MaxTextLength + 1), []string{"message"}},
		{"invalid UTF-8", "a\xffb", "\xfe", []string{"subject", "message"}},
		{"everything wrong", "", long(MaxTextLength + 1), []string{"subject", "message"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewConversation(Stream(conv))
			err := c.Start(customer, "m1", tt.subject, tt.message, now)
			if tt.fields != nil {
				if diff := cmp.Diff(tt.fields, fields(t, err)); diff != "" {
					t.Fatalf("fields (-want +got):\n%s", diff)
				}
				if len(c.Pending()) != 0 || c.Exists() {
					t.Fatal("a refused conversation recorded events")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := View{ID: conv, UserID: ada, Subject: strings.TrimSpace(tt.subject), Status: StatusOpen, MessageCount: 1,
				Messages: []Message{{ID: "m1", Sequence: 1, AuthorID: ada, AuthorRole: RoleCustomer, AuthorName: "Ada",
					Text: strings.TrimSpace(tt.message), CreatedAt: now}}, CreatedAt: now, UpdatedAt: now}
			if diff := cmp.Diff(want, replay(t, c).View()); diff != "" {
				t.Fatalf("view (-want +got):\n%s", diff)
			}
		})
	}
	c := replay(t, started(t))
	if err := c.Start(customer, "m2", "Again", "x", now); !errors.Is(err, errs.AlreadyExists) {
		t.Fatalf("second start: %v", err)
	}
}

func TestConversation_Post(t *testing.T) {
	later := now.Add(time.Minute)
	tests := []struct {
		name     string
		by       Author
		text     string
		closed   bool
		wantErr  error
		wantRole string
	}{
		{"the customer", customer, "Still broken", false, nil, RoleCustomer},
		{"staff", staff, " We will send a new one. ", false, nil, RoleStaff},
		{"another customer", grace, "Hi", false, ErrConversationNotFound, ""},
		{"anonymous", Author{}, "Hi", false, ErrConversationNotFound, ""},
		{"empty text", customer, " \n", false, errs.InvalidArgument, ""},
		{"too long", staff, strings.Repeat("x", MaxTextLength+1), false, errs.InvalidArgument, ""},
		{"closed", customer, "Hello?", true, ErrClosed, ""},
		{"closed, staff", staff, "Hello?", true, ErrClosed, ""},
		{"closed, another customer", grace, "Hello?", true, ErrConversationNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := started(t)
			if tt.closed {
				if err := c.Close(customer, now); err != nil {
					t.Fatal(err)
				}
			}
			before, recorded := c.View(), len(c.Pending())
			m, err := c.Post(tt.by, "m2", tt.text, later)
			if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if len(c.Pending()) != recorded {
					t.Fatal("a refused message recorded events")
				}
				if diff := cmp.Diff(before, c.View()); diff != "" {
					t.Fatalf("a refused message changed the conversation:\n%s", diff)
				}
				return
			}
			want := Message{ID: "m2", Sequence: 2, AuthorID: tt.by.UserID, AuthorRole: tt.wantRole, AuthorName: tt.by.Name,
				Text: strings.TrimSpace(tt.text), CreatedAt: later}
			if diff := cmp.Diff(want, m); diff != "" {
				t.Fatalf("message (-want +got):\n%s", diff)
			}
			v := replay(t, c).View()
			if v.MessageCount != 2 || !v.UpdatedAt.Equal(later) || v.Messages[1] != want {
				t.Fatalf("after replay: %+v", v)
			}
		})
	}
}

func TestConversation_SequenceCountsEveryMessage(t *testing.T) {
	c := started(t)
	for i := range 4 {
		by := customer
		if i%2 == 0 {
			by = staff
		}
		if _, err := c.Post(by, "m", "text", now); err != nil {
			t.Fatal(err)
		}
	}
	v := replay(t, c).View()
	for i, m := range v.Messages {
		if m.Sequence != int32(i+1) {
			t.Fatalf("message %d has sequence %d", i, m.Sequence)
		}
	}
	if v.MessageCount != 5 {
		t.Fatalf("%d messages", v.MessageCount)
	}
	out := NewConversation(Stream(conv))
	_ = out.Apply(c.Pending()[0])
	if err := out.Apply(&supportv1.MessagePosted{ConversationId: conv, Sequence: 3}); err == nil {
		t.Fatal("a message out of sequence applied")
	}
}

func TestConversation_Close(t *testing.T) {
	tests := []struct {
		name    string
		by      Author
		wantErr error
		events  int
		role    string
	}{
		{"the customer", customer, nil, 1, RoleCustomer},
		{"staff", staff, nil, 1, RoleStaff},
		{"another customer", grace, ErrConversationNotFound, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := started(t)
			err := c.Close(tt.by, now.Add(time.Hour))
			if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if len(c.Pending()) != 1+tt.events {
				t.Fatalf("%d events, want %d", len(c.Pending())-1, tt.events)
			}
			if tt.events == 0 {
				return
			}
			if e := c.Pending()[1].(*supportv1.ConversationClosed); e.GetClosedByRole() != tt.role || e.GetClosedByUserId() != tt.by.UserID {
				t.Fatalf("closed by %v", e)
			}
			c = replay(t, c)
			if v := c.View(); v.Status != StatusClosed || !v.UpdatedAt.Equal(now.Add(time.Hour)) {
				t.Fatalf("after close: %+v", v)
			}
			if err := c.Close(customer, now); err != nil || len(c.Pending()) != 0 {
				t.Fatalf("close again: %v, %d events", err, len(c.Pending()))
			}
		})
	}
	if err := NewConversation(Stream(conv)).Close(customer, now); !errors.Is(err, ErrConversationNotFound) {
		t.Fatalf("close of no conversation: %v", err)
	}
}

// TestEvents_CatalogueHasEveryEventMessage fails when a message of events.proto is missing
// from Events (and so from the registry that loads the aggregates).
func TestEvents_CatalogueHasEveryEventMessage(t *testing.T) {
	if missing := events.Unlisted(supportv1.File_storefront_support_v1_events_proto, Events()); len(missing) != 0 {
		t.Fatalf("not in domain.Events(): %v", missing)
	}
	for _, e := range Events() {
		name := e.ProtoReflect().Descriptor().FullName()
		if _, err := protoregistry.GlobalTypes.FindMessageByName(name); err != nil {
			t.Fatal(err)
		}
		if _, err := Registry().Decode(es.RecordedEvent{Type: string(name), SchemaVersion: 1, StreamID: "conversation-x", Version: 1}); err != nil {
			t.Errorf("registry cannot decode %s: %v", name, err)
		}
	}
}
