package app_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/es/memstore"
	"github.com/storefront/storefront/platform/reqctx"
	orderingv1 "github.com/storefront/storefront/proto/storefront/ordering/v1"
	"github.com/storefront/storefront/services/reviews/internal/app"
	"github.com/storefront/storefront/services/reviews/internal/domain"
)

const (
	ada      = "0190a000-0000-7000-8000-000000000001"
	keyboard = "0190a000-0000-7000-8000-0000000000a1"
	mouse    = "0190a000-0000-7000-8000-0000000000a2"
	deleted  = "0190a000-0000-7000-8000-0000000000d0"
)

type products struct{}

func (products) ProductID(_ context.Context, id string) (string, error) {
	if id == keyboard || id == mouse {
		return id, nil
	}
	return "", fmt.Errorf("%w: no such product", errs.NotFound)
}

type authors struct{}

func (authors) CallerName(context.Context) (string, error) { return "Ada", nil }

type purchases struct {
	mu     sync.Mutex
	orders map[string][]string
}

func (p *purchases) SaveOrder(_ context.Context, orderID, userID string, productIDs []string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.orders[orderID]; !ok {
		p.orders[orderID] = append([]string{userID}, productIDs...)
	}
	return nil
}

func (p *purchases) Order(_ context.Context, orderID string) (string, []string, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	o, ok := p.orders[orderID]
	if !ok {
		return "", nil, false, nil
	}
	return o[0], o[1:], true, nil
}

func newApp(store es.Store) *app.App {
	return &app.App{Reviews: aggregate.NewStore(store, domain.Registry(), domain.NewReview), Products: products{}, Authors: authors{},
		Purchases: &purchases{orders: map[string][]string{}}, Clock: time.Now}
}

func as(userID, role string) context.Context {
	return reqctx.With(context.Background(), reqctx.Info{Actor: reqctx.Actor{UserID: userID, Role: role}})
}

// handle runs a reaction's handling of an ordering event, as platform/reaction does: under the
// event's causation.
func handle(a *app.App, eventID uuid.UUID, m proto.Message) error {
	return a.OnOrdering(aggregate.CausedBy(context.Background(), eventID), es.RecordedEvent{ID: eventID}, m)
}

func version(t *testing.T, store es.Store, stream string) int64 {
	t.Helper()
	evs, err := store.ReadStreamBackward(context.Background(), stream, es.StreamEnd, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) == 0 {
		return 0
	}
	return evs[0].Version
}

func TestOnOrdering_VerifiesPurchasesOnce(t *testing.T) {
	store := memstore.New()
	a := newApp(store)
	ctx := as(ada, "customer")
	early, err := a.CreateReview(ctx, app.CreateReview{ProductID: mouse, Draft: domain.Draft{Rating: 4, Title: "Reviewed before paying"}})
	if err != nil {
		t.Fatal(err)
	}
	placed := &orderingv1.OrderPlaced{OrderId: "o1", UserId: ada, Lines: []*orderingv1.PlacedLine{{ProductId: keyboard}, {ProductId: mouse}}}
	paid := &orderingv1.OrderPaid{OrderId: "o1", PaymentStatus: "succeeded"}
	paidID := uuid.New()

	if err := handle(a, paidID, paid); err == nil {
		t.Fatal("OrderPaid before its OrderPlaced succeeded; want an error, to be retried")
	}
	if err := handle(a, uuid.New(), placed); err != nil {
		t.Fatal(err)
	}
	if err := handle(a, paidID, paid); err != nil {
		t.Fatal(err)
	}
	kb := domain.Stream(domain.ReviewID(ada, keyboard))
	before := version(t, store, kb)
	// A redelivery records nothing again.
	if err := handle(a, paidID, paid); err != nil {
		t.Fatal(err)
	}
	if v := version(t, store, kb); v != before || v != 1 {
		t.Fatalf("keyboard stream at version %d after the redelivery (was %d), want 1", v, before)
	}
	// The review written before the payment turned verified; one written after is verified
	// from the start.
	if got, err := a.GetReview(ctx, early.ID); err != nil || !got.VerifiedPurchase {
		t.Fatalf("early review: %+v, %v", got, err)
	}
	late, err := a.CreateReview(ctx, app.CreateReview{ProductID: keyboard, Draft: domain.Draft{Rating: 5, Title: "Reviewed after paying"}})
	if err != nil || !late.VerifiedPurchase {
		t.Fatalf("late review: %+v, %v", late, err)
	}
	// A second paid order of the same products records nothing more.
	if err := handle(a, uuid.New(), &orderingv1.OrderPlaced{OrderId: "o2", UserId: ada, Lines: []*orderingv1.PlacedLine{{ProductId: keyboard}}}); err != nil {
		t.Fatal(err)
	}
	v := version(t, store, kb)
	if err := handle(a, uuid.New(), &orderingv1.OrderPaid{OrderId: "o2"}); err != nil {
		t.Fatal(err)
	}
	if got := version(t, store, kb); got != v {
		t.Fatalf("a second purchase appended to the review: version %d, want %d", got, v)
	}
	// A purchase alone is no review.
	if _, err := a.GetReview(ctx, domain.ReviewID("someone-else", keyboard)); !errors.Is(err, errs.NotFound) {
		t.Fatalf("a review nobody wrote: %v", err)
	}
}

func TestUpdateAndRemove_Authorisation(t *testing.T) {
	a := newApp(memstore.New())
	r, err := a.CreateReview(as(ada, "customer"), app.CreateReview{ProductID: keyboard, Draft: domain.Draft{Rating: 3, Title: "Fine"}})
	if err != nil {
		t.Fatal(err)
	}
	one := int32(1)
	if _, err := a.UpdateReview(as("grace", "customer"), r.ID, domain.Edit{Rating: &one}); !errors.Is(err, errs.PermissionDenied) {
		t.Fatalf("another user's edit: %v", err)
	}
	if _, err := a.UpdateReview(as(ada, "customer"), "not-an-id", domain.Edit{Rating: &one}); !errors.Is(err, errs.NotFound) {
		t.Fatalf("edit of a malformed id: %v", err)
	}
	if err := a.RemoveReview(as(ada, "customer"), r.ID, ""); !errors.Is(err, errs.PermissionDenied) {
		t.Fatalf("a customer's removal: %v", err)
	}
	if err := a.RemoveReview(as("admin-1", "admin"), r.ID, "spam"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.GetReview(context.Background(), r.ID); !errors.Is(err, errs.NotFound) {
		t.Fatalf("removed review: %v", err)
	}
	if _, err := a.CreateReview(as(ada, "customer"), app.CreateReview{ProductID: keyboard, Draft: domain.Draft{Rating: 3, Title: "Again"}}); !errors.Is(err, errs.AlreadyExists) {
		t.Fatalf("review after removal: %v", err)
	}
}

func TestCreateReview_Refusals(t *testing.T) {
	a := newApp(memstore.New())
	tests := []struct {
		name string
		ctx  context.Context
		c    app.CreateReview
		want error
	}{
		{"signed out", context.Background(), app.CreateReview{ProductID: keyboard, Draft: domain.Draft{Rating: 5, Title: "x"}}, errs.Unauthenticated},
		{"not an id and no rating", as(ada, "customer"), app.CreateReview{ProductID: "kb", Draft: domain.Draft{Title: "x"}}, errs.InvalidArgument},
		{"unknown product", as(ada, "customer"), app.CreateReview{ProductID: deleted, Draft: domain.Draft{Rating: 5, Title: "x"}}, errs.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := a.CreateReview(tt.ctx, tt.c); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	var v *errs.Validation
	_, err := a.CreateReview(as(ada, "customer"), app.CreateReview{ProductID: "kb", Draft: domain.Draft{Title: ""}})
	if !errors.As(err, &v) || len(v.Violations) != 3 {
		t.Fatalf("every bad field named: %v", err)
	}
}
