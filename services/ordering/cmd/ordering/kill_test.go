package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/storefront/storefront/platform/devenv"
	"github.com/storefront/storefront/platform/grpcx"
	"github.com/storefront/storefront/platform/testkit/pgtest"
	cartv1 "github.com/storefront/storefront/proto/storefront/cart/v1"
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
	identityv1 "github.com/storefront/storefront/proto/storefront/identity/v1"
	orderingv1 "github.com/storefront/storefront/proto/storefront/ordering/v1"
	paymentsv1 "github.com/storefront/storefront/proto/storefront/payments/v1"
)

// TestOrdering_KillNineInEveryStep runs the real ordering binary against fakes of the cart,
// catalog, payments and identity services (in this process, keeping their contracts:
// idempotent by order id), makes the fake hang inside one step of checkout, kills the
// ordering process with SIGKILL there, starts it again and checks that the order completes,
// with each effect made once: one reservation, one charge, one refund.
func TestOrdering_KillNineInEveryStep(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "ordering")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	db := pgtest.New(t)
	natsSrv, err := devenv.StartEmbeddedNATS(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(natsSrv.Shutdown)
	fakes := newFakeFleet()
	fakeAddr := fakes.serve(t)
	port, err := devenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	env := append(os.Environ(), "STOREFRONT_DATABASE_URL="+db.URL, "STOREFRONT_NATS_URL="+natsSrv.URL(),
		"STOREFRONT_ORDERING_ADDR="+addr, "STOREFRONT_CART_ADDR="+fakeAddr, "STOREFRONT_CATALOG_ADDR="+fakeAddr,
		"STOREFRONT_PAYMENTS_ADDR="+fakeAddr, "STOREFRONT_IDENTITY_ADDR="+fakeAddr,
		"STOREFRONT_SAGA_ACK_WAIT=2s", "STOREFRONT_LOG_LEVEL=warn")

	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := orderingv1.NewOrderingServiceClient(conn)

	tests := []struct {
		step   string
		method string
		cancel bool
		want   string
	}{
		{"reserve", "pm_card_visa", false, "paid"},
		{"pay", "pm_card_visa", false, "paid"},
		{"release", "pm_card_chargeDeclined", false, "cancelled"},
		{"refund", "pm_card_visa", true, "cancelled"},
	}
	for _, tt := range tests {
		t.Run(tt.step, func(t *testing.T) {
			user := uuid.NewString()
			ctx := metadata.AppendToOutgoingContext(context.Background(), grpcx.MDUserID, user, grpcx.MDRole, "customer")
			fakes.fill(user)
			entered := fakes.hold(tt.step)
			proc := start(t, bin, env)
			waitServing(t, client, ctx)
			o, err := client.PlaceOrder(ctx, &orderingv1.PlaceOrderRequest{PaymentMethod: tt.method,
				ShippingAddress: &orderingv1.Address{Line1: "1 Main St", City: "Berlin", PostalCode: "10115", Country: "DE"}})
			if err != nil {
				t.Fatal(err)
			}
			if tt.cancel {
				waitStatus(t, client, ctx, o.GetId(), "paid")
				if _, err := client.CancelOrder(ctx, &orderingv1.CancelOrderRequest{Id: o.GetId()}); err != nil {
					t.Fatal(err)
				}
			}
			select {
			case <-entered:
			case <-time.After(30 * time.Second):
				t.Fatalf("checkout never reached %s", tt.step)
			}
			_ = proc.Process.Signal(syscall.SIGKILL)
			_ = proc.Wait()
			fakes.unblock(tt.step)
			proc = start(t, bin, env)
			waitServing(t, client, ctx)
			got := waitStatus(t, client, ctx, o.GetId(), tt.want)
			if tt.want == "cancelled" {
				deadline := time.Now().Add(30 * time.Second)
				for !fakes.released(o.GetId()) || (tt.cancel && !got.GetPayment().GetRefunded()) {
					if time.Now().After(deadline) {
						t.Fatalf("compensation incomplete: released %v, %v", fakes.released(o.GetId()), got)
					}
					time.Sleep(50 * time.Millisecond)
					got, _ = client.GetOrder(ctx, &orderingv1.GetOrderRequest{Id: o.GetId()})
				}
			}
			if n := fakes.count("charge", o.GetId()); n > 1 {
				t.Fatalf("charged %d times", n)
			}
			if n := fakes.count("reserve", o.GetId()); n != 1 {
				t.Fatalf("reserved %d times", n)
			}
			if n := fakes.count("refund", o.GetId()); tt.cancel && n != 1 {
				t.Fatalf("refunded %d times", n)
			}
			_ = proc.Process.Signal(syscall.SIGTERM)
			_ = proc.Wait()
		})
	}
}

func start(t *testing.T, bin string, env []string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	return cmd
}

func waitServing(t *testing.T, c orderingv1.OrderingServiceClient, ctx context.Context) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, err := c.GetOrder(ctx, &orderingv1.GetOrderRequest{Id: uuid.NewString()})
		if status.Code(err) == codes.NotFound {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("ordering does not serve: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func waitStatus(t *testing.T, c orderingv1.OrderingServiceClient, ctx context.Context, id, want string) *orderingv1.Order {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		o, err := c.GetOrder(ctx, &orderingv1.GetOrderRequest{Id: id})
		if err == nil && o.GetStatus() == want {
			return o
		}
		if time.Now().After(deadline) {
			t.Fatalf("order %s: %v %v, want %s", id, o, err, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fakeFleet keeps the contracts of the services ordering calls, counting the effects.
type fakeFleet struct {
	cartv1.UnimplementedCartServiceServer
	catalogv1.UnimplementedCatalogServiceServer
	paymentsv1.UnimplementedPaymentServiceServer
	identityv1.UnimplementedIdentityServiceServer

	mu       sync.Mutex
	carts    map[string]bool
	effects  map[string]int // "kind/order" → times the effect was made
	reserved map[string]bool
	releases map[string]bool
	payments map[string]*paymentsv1.Payment
	held     map[string]chan struct{}
	entered  map[string]chan struct{}
}

func newFakeFleet() *fakeFleet {
	return &fakeFleet{carts: map[string]bool{}, effects: map[string]int{}, reserved: map[string]bool{}, releases: map[string]bool{},
		payments: map[string]*paymentsv1.Payment{}, held: map[string]chan struct{}{}, entered: map[string]chan struct{}{}}
}

func (f *fakeFleet) serve(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	cartv1.RegisterCartServiceServer(srv, f)
	catalogv1.RegisterCatalogServiceServer(srv, f)
	paymentsv1.RegisterPaymentServiceServer(srv, f)
	identityv1.RegisterIdentityServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

func (f *fakeFleet) fill(user string) { f.mu.Lock(); f.carts[user] = true; f.mu.Unlock() }

func (f *fakeFleet) hold(step string) chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.held[step], f.entered[step] = make(chan struct{}), make(chan struct{})
	return f.entered[step]
}

func (f *fakeFleet) unblock(step string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	close(f.held[step])
	delete(f.held, step)
}

// gate hangs a call of the step while it is held; the caller's death ends the call.
func (f *fakeFleet) gate(ctx context.Context, step string) error {
	f.mu.Lock()
	ch, ok := f.held[step]
	if ok {
		select {
		case <-f.entered[step]:
		default:
			close(f.entered[step])
		}
	}
	f.mu.Unlock()
	if !ok {
		return nil
	}
	select {
	case <-ch:
		return status.Error(codes.Unavailable, "the caller went away")
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (f *fakeFleet) count(kind, order string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.effects[kind+"/"+order]
}

func (f *fakeFleet) released(order string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.releases[order]
}

func (f *fakeFleet) GetCheckoutCart(_ context.Context, r *cartv1.GetCheckoutCartRequest) (*cartv1.CheckoutCart, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.carts[r.GetUserId()] {
		return nil, status.Error(codes.FailedPrecondition, "the cart is empty")
	}
	return &cartv1.CheckoutCart{UserId: r.GetUserId(), Currency: "USD", SubtotalMinor: 2_500, Version: 1, Lines: []*cartv1.CheckoutLine{
		{ItemId: "i1", ProductId: "0190a000-0000-7000-8000-0000000000a1", Sku: "KB", Name: "Keyboard", Quantity: 1, UnitPriceMinor: 2_500, Currency: "USD"}}}, nil
}

func (f *fakeFleet) MarkCheckedOut(context.Context, *cartv1.MarkCheckedOutRequest) (*cartv1.MarkCheckedOutResponse, error) {
	return &cartv1.MarkCheckedOutResponse{Changed: true}, nil
}

func (f *fakeFleet) ReserveStock(ctx context.Context, r *catalogv1.ReserveStockRequest) (*catalogv1.ReserveStockResponse, error) {
	if err := f.gate(ctx, "reserve"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.releases[r.GetOrderId()] {
		return nil, status.Error(codes.FailedPrecondition, "released")
	}
	if !f.reserved[r.GetOrderId()] {
		f.reserved[r.GetOrderId()] = true
		f.effects["reserve/"+r.GetOrderId()]++
	}
	return &catalogv1.ReserveStockResponse{OrderId: r.GetOrderId()}, nil
}

func (f *fakeFleet) ReleaseReservation(ctx context.Context, r *catalogv1.ReleaseReservationRequest) (*catalogv1.ReleaseReservationResponse, error) {
	if err := f.gate(ctx, "release"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.releases[r.GetOrderId()] = true
	return &catalogv1.ReleaseReservationResponse{}, nil
}

func (f *fakeFleet) RequestPayment(ctx context.Context, r *paymentsv1.RequestPaymentRequest) (*paymentsv1.Payment, error) {
	if err := f.gate(ctx, "pay"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if p, ok := f.payments[r.GetOrderId()]; ok {
		return p, nil
	}
	p := &paymentsv1.Payment{OrderId: r.GetOrderId(), AmountMinor: r.GetAmountMinor(), Currency: r.GetCurrency(), ProviderRef: "pi_" + r.GetOrderId()}
	if r.GetPaymentMethod() == "pm_card_chargeDeclined" {
		p.Status, p.DeclineCode = paymentsv1.PaymentStatus_PAYMENT_STATUS_DECLINED, "card_declined"
	} else {
		p.Status = paymentsv1.PaymentStatus_PAYMENT_STATUS_SUCCEEDED
		f.effects["charge/"+r.GetOrderId()]++
	}
	f.payments[r.GetOrderId()] = p
	return p, nil
}

func (f *fakeFleet) ExpirePayment(_ context.Context, r *paymentsv1.ExpirePaymentRequest) (*paymentsv1.Payment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.payments[r.GetOrderId()]
	if !ok {
		p = &paymentsv1.Payment{OrderId: r.GetOrderId(), Status: paymentsv1.PaymentStatus_PAYMENT_STATUS_EXPIRED}
		f.payments[r.GetOrderId()] = p
	}
	return p, nil
}

func (f *fakeFleet) RefundPayment(ctx context.Context, r *paymentsv1.RefundPaymentRequest) (*paymentsv1.Payment, error) {
	if err := f.gate(ctx, "refund"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.payments[r.GetOrderId()]
	for _, re := range p.GetRefunds() {
		if re.GetRefundId() == r.GetRefundId() {
			return p, nil
		}
	}
	f.effects["refund/"+r.GetOrderId()]++
	p.Refunds = append(p.Refunds, &paymentsv1.Refund{RefundId: r.GetRefundId(), AmountMinor: r.GetAmountMinor(), Status: "succeeded", ProviderRef: "re_1"})
	p.RefundedMinor += r.GetAmountMinor()
	return p, nil
}
