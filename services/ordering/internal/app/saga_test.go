package app_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/es/postgres"
	"github.com/storefront/storefront/platform/projector"
	"github.com/storefront/storefront/platform/reaction"
	"github.com/storefront/storefront/platform/relay"
	"github.com/storefront/storefront/platform/reqctx"
	"github.com/storefront/storefront/platform/testkit/natstest"
	"github.com/storefront/storefront/platform/testkit/pgtest"
	readmodel "github.com/storefront/storefront/projections/ordering"
	"github.com/storefront/storefront/services/ordering/internal/adapters"
	"github.com/storefront/storefront/services/ordering/internal/app"
	"github.com/storefront/storefront/services/ordering/internal/domain"
	"github.com/storefront/storefront/services/ordering/internal/ports"
)

const schema = "ordering"

// world is the ordering context's infrastructure for a test: its database and event store,
// its own JetStream stream, the relay and the projector; processes of the ordering service
// (app and saga) start and die on it.
type world struct {
	t     *testing.T
	bc    string
	store *postgres.Store
	env   *natstest.Env
	db    *pgtest.DB
	fakes *fakes
	proj  *projector.Runtime
}

func newWorld(t *testing.T) *world {
	t.Helper()
	db := pgtest.New(t, postgres.Migrations(schema), relay.Migrations(schema), reaction.Migrations(schema), projector.Migrations())
	env := natstest.New(t)
	store, err := postgres.New(db.Pool, schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	w := &world{t: t, bc: env.Prefix + "_ordering", store: store, env: env, db: db, fakes: newFakes()}
	rel, err := relay.New(relay.Config{Context: w.bc, Schema: schema}, relay.Deps{Store: store, DB: db.Pool, NATS: env.Conn,
		Meter: metricnoop.NewMeterProvider(), Tracer: tracenoop.NewTracerProvider(), Propagator: propagation.TraceContext{}})
	if err != nil {
		t.Fatal(err)
	}
	proj, err := projector.New(projector.Config{Pool: db.Pool, JetStream: env.JS, Stores: map[string]es.LogReader{w.bc: store},
		FetchWait: 100 * time.Millisecond}, readmodel.NewForContext(w.bc))
	if err != nil {
		t.Fatal(err)
	}
	w.proj = proj
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = rel.Run(ctx) })
	wg.Go(func() { _ = proj.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return w
}

// process is one ordering service process: its app and its running saga.
type process struct {
	app  *app.App
	stop func()
}

func (w *world) start(deadline time.Duration) *process {
	w.t.Helper()
	registry := domain.Registry()
	a := app.New(app.Deps{
		Orders:    aggregate.NewStore(w.store, registry, domain.NewOrder),
		Discounts: aggregate.NewStore(w.store, registry, domain.NewDiscount, aggregate.WithRetries(100)),
		Carts:     w.fakes, Stock: w.fakes, Payments: w.fakes, Addresses: w.fakes,
		Timers:   adapters.Timers{DB: w.db.Pool, Schema: schema},
		Views:    adapters.ReadModel{Pool: w.db.Pool, Currency: "USD"},
		Index:    adapters.Index{Pool: w.db.Pool, Schema: schema},
		Currency: "USD", CheckoutDeadline: deadline, PlacementGrace: time.Second,
	})
	runner, err := ports.Saga(reaction.Config{JetStream: w.env.JS, DB: w.db.Pool, Schema: schema, FetchWait: 100 * time.Millisecond,
		AckWait: time.Second, PollInterval: 50 * time.Millisecond, RetryDelays: []time.Duration{50 * time.Millisecond, 100 * time.Millisecond,
			200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, time.Second, time.Second, time.Second}},
		a, registry, w.bc, w.env.Prefix+"_payments", 4)
	if err != nil {
		w.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = runner.Run(ctx) }()
	var once sync.Once
	p := &process{app: a, stop: func() { once.Do(func() { cancel(); <-done }) }}
	w.t.Cleanup(p.stop)
	return p
}

// fakes stand in for the cart, catalog, payments and identity services, with their
// contracts: every call idempotent by order id. block makes one kind of call hang until
// released (a process dying inside that step).
type fakes struct {
	mu       sync.Mutex
	carts    map[string][]app.CheckoutLine
	stock    map[string]int32            // product → available
	holds    map[string]map[string]int32 // order → product → units
	released map[string]bool
	sold     map[string]bool
	charges  map[string]int // order → charges made
	payments map[string]app.PaymentStatus
	refunds  map[string]int64 // order/refund → amount
	checked  map[string]bool
	block    map[string]chan struct{} // call → closed when released
	entered  map[string]chan struct{} // call → closed when a call started blocking
}

func newFakes() *fakes {
	return &fakes{carts: map[string][]app.CheckoutLine{}, stock: map[string]int32{}, holds: map[string]map[string]int32{},
		released: map[string]bool{}, sold: map[string]bool{}, charges: map[string]int{}, payments: map[string]app.PaymentStatus{},
		refunds: map[string]int64{}, checked: map[string]bool{}, block: map[string]chan struct{}{}, entered: map[string]chan struct{}{}}
}

// hold makes calls of kind hang (until unblock); entered is closed once one hangs.
func (f *fakes) hold(kind string) (entered chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.block[kind], f.entered[kind] = make(chan struct{}), make(chan struct{})
	return f.entered[kind]
}

func (f *fakes) unblock(kind string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ch, ok := f.block[kind]; ok {
		close(ch)
		delete(f.block, kind)
	}
}

// gate hangs a call of kind while it is held, until ctx ends (the process dies).
func (f *fakes) gate(ctx context.Context, kind string) error {
	f.mu.Lock()
	ch, held := f.block[kind]
	if held {
		select {
		case <-f.entered[kind]:
		default:
			close(f.entered[kind])
		}
	}
	f.mu.Unlock()
	if !held {
		return nil
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (f *fakes) CheckoutCart(_ context.Context, userID string) (app.CheckoutCart, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	lines := f.carts[userID]
	if len(lines) == 0 {
		return app.CheckoutCart{}, fmt.Errorf("%w: the cart is empty", errs.FailedPrecondition)
	}
	c := app.CheckoutCart{Lines: lines, Currency: "USD", Version: 1}
	for _, l := range lines {
		c.SubtotalMinor += l.UnitPriceMinor * int64(l.Quantity)
	}
	return c, nil
}

func (f *fakes) CheckOut(_ context.Context, _, orderID string, _ []domain.Line) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.checked[orderID] = true
	return nil
}

func (f *fakes) Reserve(ctx context.Context, orderID string, lines []domain.Line) error {
	if err := f.gate(ctx, "reserve"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.holds[orderID] != nil {
		return nil
	}
	if f.released[orderID] {
		return &app.StockRefusal{Reason: "released"}
	}
	for _, l := range lines {
		if f.stock[l.ProductID] < l.Quantity {
			return &app.StockRefusal{ProductID: l.ProductID, Reason: "insufficient_stock"}
		}
	}
	f.holds[orderID] = map[string]int32{}
	for _, l := range lines {
		f.stock[l.ProductID] -= l.Quantity
		f.holds[orderID][l.ProductID] = l.Quantity
	}
	return nil
}

func (f *fakes) Release(ctx context.Context, orderID string) error {
	if err := f.gate(ctx, "release"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sold[orderID] {
		return fmt.Errorf("%w: committed", errs.FailedPrecondition)
	}
	if !f.released[orderID] {
		for p, q := range f.holds[orderID] {
			f.stock[p] += q
		}
		f.released[orderID] = true
	}
	return nil
}

func (f *fakes) Commit(_ context.Context, orderID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sold[orderID] = true
	return nil
}

func (f *fakes) Restock(_ context.Context, orderID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sold[orderID] {
		for p, q := range f.holds[orderID] {
			f.stock[p] += q
		}
		f.sold[orderID] = false
	}
	return nil
}

func (f *fakes) Request(ctx context.Context, r app.PaymentRequest) (app.PaymentOutcome, error) {
	if err := f.gate(ctx, "pay"); err != nil {
		return app.PaymentOutcome{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.payments[r.OrderID]; ok {
		return app.PaymentOutcome{Status: s, ProviderRef: "pi_" + r.OrderID, AmountMinor: r.AmountMinor}, nil
	}
	s := app.PaymentSucceeded
	switch r.Method {
	case "pm_card_chargeDeclined":
		s = app.PaymentDeclined
	case "pm_card_threeDSecureRequired":
		s = app.PaymentActionRequired
	}
	f.payments[r.OrderID] = s
	if s == app.PaymentSucceeded {
		f.charges[r.OrderID]++
	}
	return app.PaymentOutcome{Status: s, ProviderRef: "pi_" + r.OrderID, AmountMinor: r.AmountMinor, DeclineCode: "card_declined"}, nil
}

func (f *fakes) Expire(_ context.Context, orderID string) (app.PaymentOutcome, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.payments[orderID] == app.PaymentSucceeded {
		return app.PaymentOutcome{Status: app.PaymentSucceeded, ProviderRef: "pi_" + orderID}, nil
	}
	f.payments[orderID] = app.PaymentExpired
	return app.PaymentOutcome{Status: app.PaymentExpired}, nil
}

func (f *fakes) Capture(_ context.Context, orderID string) (app.PaymentOutcome, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.payments[orderID] == app.PaymentActionRequired {
		f.payments[orderID] = app.PaymentSucceeded
		f.charges[orderID]++
	}
	return app.PaymentOutcome{Status: f.payments[orderID], ProviderRef: "pi_" + orderID}, nil
}

func (f *fakes) Refund(ctx context.Context, orderID, refundID string, amount int64, _ string) (string, error) {
	if err := f.gate(ctx, "refund"); err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refunds[orderID+"/"+refundID] = amount
	return "re_" + refundID, nil
}

func (f *fakes) Address(context.Context, string) (domain.Address, error) {
	return domain.Address{}, fmt.Errorf("%w: address", errs.NotFound)
}

func (f *fakes) fill(userID, productID string, quantity int32, price int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.carts[userID] = []app.CheckoutLine{{ItemID: "item-" + productID, ProductID: productID, SKU: "SKU", Name: "Product", Quantity: quantity, UnitPriceMinor: price}}
}

func (f *fakes) setStock(productID string, n int32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stock[productID] = n
}

func (f *fakes) available(productID string) int32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stock[productID]
}

var address = &domain.Address{Line1: "1 Main St", City: "Berlin", PostalCode: "10115", Country: "DE"}

func (w *world) place(p *process, userID, method, code string) (*domain.Order, error) {
	w.t.Helper()
	o, _, err := p.app.PlaceOrder(context.Background(), app.PlaceOrder{UserID: userID, Address: address, PaymentMethod: method, DiscountCode: code})
	return o, err
}

// settle waits until the order is in one of the statuses and compensated when cancelled.
func (w *world) settle(p *process, o *domain.Order, want ...domain.Status) *domain.Order {
	w.t.Helper()
	return w.settleID(p, o.UserID(), o.ID(), want...)
}

func (w *world) settleID(p *process, userID, orderID string, want ...domain.Status) *domain.Order {
	w.t.Helper()
	ctx := reqctx.With(context.Background(), reqctx.Info{Actor: reqctx.Actor{UserID: userID}})
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, err := p.app.GetOrder(ctx, orderID)
		if err != nil {
			w.t.Fatal(err)
		}
		for _, s := range want {
			if got.Status() == s && (s != domain.StatusCancelled || got.Compensated()) {
				return got
			}
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("order %s is %s (compensated %v), want %v", orderID, got.Status(), got.Compensated(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func user() string { return uuid.NewString() }

func TestSaga_PaysOrCancels(t *testing.T) {
	w := newWorld(t)
	p := w.start(time.Minute)
	ctx := reqctx.With(context.Background(), reqctx.Info{Actor: reqctx.Actor{UserID: "admin", Role: "admin"}})
	if _, err := p.app.CreateDiscount(ctx, domain.DiscountTerms{Code: "FREE", PercentOff: 100}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		method     string
		code       string
		stock      int32
		want       domain.Status
		reason     string
		payment    string
		charges    int
		stockAfter int32
	}{
		{"paid", "pm_card_visa", "", 5, domain.StatusPaid, "", domain.PaymentSucceeded, 1, 3},
		{"declined", "pm_card_chargeDeclined", "", 5, domain.StatusCancelled, domain.ReasonPaymentDeclined, domain.PaymentDeclined, 0, 5},
		{"out of stock", "pm_card_visa", "", 1, domain.StatusCancelled, domain.ReasonOutOfStock, domain.PaymentPending, 0, 1},
		{"nothing to pay", "pm_card_visa", "FREE", 5, domain.StatusPaid, "", domain.PaymentNotRequired, 0, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, product := user(), uuid.NewString()
			w.fakes.setStock(product, tt.stock)
			w.fakes.fill(u, product, 2, 1_250)
			o, err := w.place(p, u, tt.method, tt.code)
			if err != nil {
				t.Fatal(err)
			}
			o = w.settle(p, o, domain.StatusPaid, domain.StatusCancelled)
			if o.Status() != tt.want || o.CancellationReason() != tt.reason || o.PaymentStatus() != tt.payment {
				t.Fatalf("status %s reason %q payment %s", o.Status(), o.CancellationReason(), o.PaymentStatus())
			}
			if got := w.fakes.charges[o.ID()]; got != tt.charges {
				t.Fatalf("%d charges", got)
			}
			if got := w.fakes.available(product); got != tt.stockAfter {
				t.Fatalf("stock %d, want %d", got, tt.stockAfter)
			}
			if !w.fakes.checked[o.ID()] {
				t.Fatal("the cart was not checked out")
			}
		})
	}
}

// TestSaga_ResumesAfterACrashInEveryStep kills the ordering process while it is inside a
// step (its call to the other service hangs, then the process's context ends, as a kill
// does), starts another one, and checks the order completes with every effect made once.
func TestSaga_ResumesAfterACrashInEveryStep(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		step   string
		method string
		cancel bool // cancel the paid order (to reach the compensation steps)
		want   domain.Status
	}{
		{"reserve", "pm_card_visa", false, domain.StatusPaid},
		{"pay", "pm_card_visa", false, domain.StatusPaid},
		{"release", "pm_card_chargeDeclined", false, domain.StatusCancelled},
		{"refund", "pm_card_visa", true, domain.StatusCancelled},
	}
	for _, tt := range tests {
		t.Run(tt.step, func(t *testing.T) {
			u, product := user(), uuid.NewString()
			w.fakes.setStock(product, 10)
			w.fakes.fill(u, product, 3, 1_000)
			entered := w.fakes.hold(tt.step)
			first := w.start(time.Minute)
			o, err := w.place(first, u, tt.method, "")
			if err != nil {
				t.Fatal(err)
			}
			if tt.cancel {
				w.settle(first, o, domain.StatusPaid)
				ctx := reqctx.With(context.Background(), reqctx.Info{Actor: reqctx.Actor{UserID: u}})
				if _, err := first.app.CancelOrder(ctx, o.ID(), ""); err != nil {
					t.Fatal(err)
				}
			}
			select {
			case <-entered:
			case <-time.After(20 * time.Second):
				t.Fatalf("the saga never reached %s", tt.step)
			}
			first.stop() // dies inside the step
			w.fakes.unblock(tt.step)
			second := w.start(time.Minute)
			o = w.settle(second, o, tt.want)
			if n := w.fakes.charges[o.ID()]; n > 1 {
				t.Fatalf("charged %d times", n)
			}
			wantStock := int32(7)
			if tt.want == domain.StatusCancelled {
				wantStock = 10
			}
			if got := w.fakes.available(product); got != wantStock {
				t.Fatalf("stock %d, want %d", got, wantStock)
			}
			if tt.cancel && (o.RefundedMinor() != o.TotalMinor() || w.fakes.refunds[o.ID()+"/cancel"] != o.TotalMinor()) {
				t.Fatalf("refunded %d of %d", o.RefundedMinor(), o.TotalMinor())
			}
			second.stop()
		})
	}
}

// TestSaga_DeadlineCancelsAStuckPayment: the provider waits for the customer, who never
// acts; the checkout deadline (a durable timer) cancels the order and releases its stock.
func TestSaga_DeadlineCancelsAStuckPayment(t *testing.T) {
	w := newWorld(t)
	p := w.start(2 * time.Second)
	u, product := user(), uuid.NewString()
	w.fakes.setStock(product, 4)
	w.fakes.fill(u, product, 1, 500)
	o, err := w.place(p, u, "pm_card_threeDSecureRequired", "")
	if err != nil {
		t.Fatal(err)
	}
	// The process restarts while the order waits: the timer is in the database.
	time.Sleep(500 * time.Millisecond)
	p.stop()
	p = w.start(2 * time.Second)
	o = w.settle(p, o, domain.StatusCancelled)
	if o.CancellationReason() != domain.ReasonPaymentExpired || w.fakes.available(product) != 4 || w.fakes.payments[o.ID()] != app.PaymentExpired {
		t.Fatalf("reason %q stock %d payment %v", o.CancellationReason(), w.fakes.available(product), w.fakes.payments[o.ID()])
	}
}

// TestDiscount_NoOverRedemptionUnderConcurrency: 20 customers place orders with a code of 5
// redemptions at once; exactly 5 orders carry it, the others are refused and leave nothing.
func TestDiscount_NoOverRedemptionUnderConcurrency(t *testing.T) {
	w := newWorld(t)
	p := w.start(time.Minute)
	ctx := reqctx.With(context.Background(), reqctx.Info{Actor: reqctx.Actor{UserID: "admin", Role: "admin"}})
	if _, err := p.app.CreateDiscount(ctx, domain.DiscountTerms{Code: "five", AmountOffMinor: 300, MaxRedemptions: 5}); err != nil {
		t.Fatal(err)
	}
	product := uuid.NewString()
	w.fakes.setStock(product, 1000)
	var wg sync.WaitGroup
	var mu sync.Mutex
	placed, usedUp := 0, 0
	for range 20 {
		u := user()
		w.fakes.fill(u, product, 1, 2_000)
		wg.Go(func() {
			o, err := w.place(p, u, "pm_card_visa", "FIVE")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil && o.DiscountMinor() == 300 && o.TotalMinor() == 1_700:
				placed++
			case errors.Is(err, domain.ErrDiscountUsedUp):
				usedUp++
			default:
				t.Errorf("place: %v", err)
			}
		})
	}
	wg.Wait()
	d, err := aggregate.NewStore(w.store, domain.Registry(), domain.NewDiscount).Load(context.Background(), domain.DiscountStream("FIVE"))
	if err != nil {
		t.Fatal(err)
	}
	if placed != 5 || usedUp != 15 || d.Redemptions() != 5 {
		t.Fatalf("placed %d, used up %d, redemptions %d", placed, usedUp, d.Redemptions())
	}
}

// TestListOrders_ReadYourWritesAndTheReadModelShowsWhatTheStoreDoes: the caller's list
// shows an order placed a moment ago, and every order of the read model equals the order as
// the event store's aggregate shows it.
func TestListOrders_ReadYourWritesAndTheReadModelShowsWhatTheStoreDoes(t *testing.T) {
	w := newWorld(t)
	p := w.start(time.Minute)
	u, product := user(), uuid.NewString()
	w.fakes.setStock(product, 100)
	ctx := reqctx.With(context.Background(), reqctx.Info{Actor: reqctx.Actor{UserID: u}})
	var ids []string
	for i := range 3 {
		w.fakes.fill(u, product, int32(i+1), 999)
		o, err := w.place(p, u, "pm_card_visa", "")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, o.ID())
		page, _, err := p.app.ListOrders(ctx, app.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != i+1 || page.Items[0].GetId() != o.ID() {
			t.Fatalf("after order %d the list shows %d orders, first %s", i+1, page.Total, page.Items[0].GetId())
		}
	}
	for _, id := range ids {
		w.settleID(p, u, id, domain.StatusPaid)
	}
	// The read model itself (not the list, which may answer from the store), once it holds
	// every event of the orders.
	views, index := adapters.ReadModel{Pool: w.db.Pool, Currency: "USD"}, adapters.Index{Pool: w.db.Pool, Schema: schema}
	deadline := time.Now().Add(20 * time.Second)
	for {
		want, err := index.CustomerOrders(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		have, err := views.Versions(ctx, ids)
		if err == nil && len(have) == 3 && have[ids[0]] == want[ids[0]] && have[ids[1]] == want[ids[1]] && have[ids[2]] == want[ids[2]] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the read model holds %v (%v), the store %v", have, err, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
	page, err := views.CustomerOrders(ctx, u, app.Resolved{Page: 1, PerPage: 10})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 3 || len(page.Items) != 3 || page.Items[0].GetId() != ids[2] {
		t.Fatalf("read model page: %d orders, first %s", page.Total, page.Items[0].GetId())
	}
	for _, item := range page.Items {
		o, err := p.app.GetOrder(ctx, item.GetId())
		if err != nil {
			t.Fatal(err)
		}
		if want := app.View(o); !proto.Equal(item, want) {
			t.Fatalf("read model:\n%v\nevent store:\n%v", item, want)
		}
	}
	// A blue/green rebuild from the event store gives the same read model.
	if err := w.proj.Rebuild(ctx, readmodel.Name); err != nil {
		t.Fatal(err)
	}
	rebuilt, err := views.CustomerOrders(ctx, u, app.Resolved{Page: 1, PerPage: 10})
	if err != nil {
		t.Fatal(err)
	}
	for i := range page.Items {
		if !proto.Equal(page.Items[i], rebuilt.Items[i]) {
			t.Fatalf("rebuilt:\n%v\nlive:\n%v", rebuilt.Items[i], page.Items[i])
		}
	}
}
