package domain

import (
	"errors"
	"testing"
	"time"

	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/events"
	orderingv1 "github.com/storefront/storefront/proto/storefront/ordering/v1"
)

var now = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

const (
	orderID = "0190a000-0000-7000-8000-0000000000c1"
	userID  = "0190a000-0000-7000-8000-000000000001"
	adminID = "0190a000-0000-7000-8000-0000000000ad"
)

// replay rebuilds an order from the events it recorded, as loading does, and checks that
// the replayed state is the one the methods left.
func replay(t *testing.T, o *Order) *Order {
	t.Helper()
	got := NewOrder(o.StreamID())
	for _, e := range o.Pending() {
		if err := got.Apply(e); err != nil {
			t.Fatal(err)
		}
	}
	if got.Status() != o.Status() || got.Stock() != o.Stock() || got.Payment() != o.Payment() || got.RefundedMinor() != o.RefundedMinor() {
		t.Fatalf("replayed order differs: %+v vs %+v", got, o)
	}
	return got
}

func placed(t *testing.T, totalLines ...Line) *Order {
	t.Helper()
	if len(totalLines) == 0 {
		totalLines = []Line{{CartItemID: "i1", ProductID: "p1", SKU: "KB-1", Name: "Keyboard", UnitPriceMinor: 12_990, Quantity: 2}}
	}
	o := NewOrder(OrderStream(orderID))
	if err := o.Place(Placement{UserID: userID, Lines: totalLines, Currency: "USD", PaymentMethod: "pm_card_visa"}, now); err != nil {
		t.Fatal(err)
	}
	return o
}

func types(o *Order) []string {
	var out []string
	for _, e := range o.Pending() {
		out = append(out, string(e.ProtoReflect().Descriptor().Name()))
	}
	return out
}

func TestOrder_CheckoutPaths(t *testing.T) {
	tests := []struct {
		name       string
		steps      func(o *Order)
		wantStatus Status
		wantReason string
		wantPay    string
		wantStock  StockState
	}{
		{"paid", func(o *Order) {
			o.StockReserved(now)
			o.RequestPayment(now)
			o.PaymentSucceeded("pi_1", o.TotalMinor(), now)
		}, StatusPaid, "", PaymentSucceeded, StockReserved},
		{"out of stock", func(o *Order) {
			o.StockRefused("p1", "insufficient", now)
		}, StatusCancelled, ReasonOutOfStock, PaymentPending, StockFailed},
		{"declined", func(o *Order) {
			o.StockReserved(now)
			o.RequestPayment(now)
			o.PaymentRefused("card_declined", now)
		}, StatusCancelled, ReasonPaymentDeclined, PaymentDeclined, StockReserved},
		{"expired in the payment step", func(o *Order) {
			o.StockReserved(now)
			o.RequestPayment(now)
			o.Expire(now)
		}, StatusCancelled, ReasonPaymentExpired, PaymentPending, StockReserved},
		{"expired before the stock answered", func(o *Order) {
			o.Expire(now)
		}, StatusCancelled, ReasonCheckoutTimeout, PaymentPending, StockNone},
		{"steps repeated change nothing more", func(o *Order) {
			o.StockReserved(now)
			o.StockReserved(now)
			o.RequestPayment(now)
			o.RequestPayment(now)
			o.PaymentSucceeded("pi_1", o.TotalMinor(), now)
			o.PaymentSucceeded("pi_1", o.TotalMinor(), now)
			o.Expire(now)
		}, StatusPaid, "", PaymentSucceeded, StockReserved},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := placed(t)
			tt.steps(o)
			o = replay(t, o)
			if o.Status() != tt.wantStatus || o.CancellationReason() != tt.wantReason || o.PaymentStatus() != tt.wantPay || o.Stock() != tt.wantStock {
				t.Fatalf("status %s reason %q payment %s stock %d; want %s %q %s %d", o.Status(), o.CancellationReason(), o.PaymentStatus(),
					o.Stock(), tt.wantStatus, tt.wantReason, tt.wantPay, tt.wantStock)
			}
		})
	}
}

func TestOrder_ZeroTotalSkipsThePayment(t *testing.T) {
	o := NewOrder(OrderStream(orderID))
	lines := []Line{{ProductID: "p1", UnitPriceMinor: 1000, Quantity: 1}}
	if err := o.Place(Placement{UserID: userID, Lines: lines, Currency: "USD", DiscountCode: "FREE", DiscountMinor: 1000}, now); err != nil {
		t.Fatal(err)
	}
	o.StockReserved(now)
	o.RequestPayment(now)
	if o.Status() != StatusPaid || o.PaymentStatus() != PaymentNotRequired || o.TotalMinor() != 0 {
		t.Fatalf("status %s payment %s total %d", o.Status(), o.PaymentStatus(), o.TotalMinor())
	}
}

func TestOrder_PlaceChecksTheTotal(t *testing.T) {
	lines := []Line{{ProductID: "p1", UnitPriceMinor: 1000, Quantity: 3}}
	o := NewOrder(OrderStream(orderID))
	if err := o.Place(Placement{UserID: userID, Lines: lines, Currency: "USD", DiscountMinor: 3001}, now); !errors.Is(err, errs.InvalidArgument) {
		t.Fatalf("a discount above the subtotal: %v", err)
	}
	if err := o.Place(Placement{UserID: userID, Currency: "USD"}, now); !errors.Is(err, errs.FailedPrecondition) {
		t.Fatalf("no lines: %v", err)
	}
	if err := o.Place(Placement{UserID: userID, Lines: lines, Currency: "USD", DiscountMinor: 500}, now); err != nil {
		t.Fatal(err)
	}
	if o.SubtotalMinor() != 3000 || o.DiscountMinor() != 500 || o.TotalMinor() != 2500 {
		t.Fatalf("subtotal %d discount %d total %d", o.SubtotalMinor(), o.DiscountMinor(), o.TotalMinor())
	}
	if err := o.Place(Placement{UserID: userID, Lines: lines, Currency: "USD"}, now); !errors.Is(err, errs.AlreadyExists) {
		t.Fatalf("placed twice: %v", err)
	}
}

func TestOrder_Lifecycle(t *testing.T) {
	pending := func(t *testing.T) *Order { return placed(t) }
	paid := func(t *testing.T) *Order {
		o := placed(t)
		o.StockReserved(now)
		o.RequestPayment(now)
		o.PaymentSucceeded("pi_1", o.TotalMinor(), now)
		return o
	}
	tests := []struct {
		name  string
		from  func(*testing.T) *Order
		moves []Status
		want  Status
		// wantErr is the index of the move that must fail with a TransitionError (-1: none).
		wantErr int
	}{
		{"ship, deliver", paid, []Status{StatusShipped, StatusDelivered}, StatusDelivered, -1},
		{"cancel a pending order", pending, []Status{StatusCancelled}, StatusCancelled, -1},
		{"cancel a paid order", paid, []Status{StatusCancelled}, StatusCancelled, -1},
		{"ship a pending order", pending, []Status{StatusShipped}, StatusPending, 0},
		{"deliver before shipping", paid, []Status{StatusDelivered}, StatusPaid, 0},
		{"cancel a shipped order", paid, []Status{StatusShipped, StatusCancelled}, StatusShipped, 1},
		{"return without a request", paid, []Status{StatusShipped, StatusDelivered, StatusReturned}, StatusDelivered, 2},
		{"ship twice", paid, []Status{StatusShipped, StatusShipped}, StatusShipped, 1},
		{"cancel twice", paid, []Status{StatusCancelled, StatusCancelled}, StatusCancelled, 1},
		{"pending is not a move", paid, []Status{StatusPending}, StatusPaid, 0},
		{"paid is not a move", pending, []Status{StatusPaid}, StatusPending, 0},
		{"return_requested is the customer's", paid, []Status{StatusShipped, StatusDelivered, StatusReturnRequested}, StatusDelivered, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.from(t)
			for i, to := range tt.moves {
				err := o.Move(to, adminID, now)
				var te *TransitionError
				if i == tt.wantErr {
					if !errors.As(err, &te) || !errors.Is(err, errs.FailedPrecondition) {
						t.Fatalf("move %d to %s: %v, want a TransitionError", i, to, err)
					}
					break
				}
				if err != nil {
					t.Fatalf("move %d to %s: %v", i, to, err)
				}
			}
			if replay(t, o).Status() != tt.want {
				t.Fatalf("status %s, want %s", o.Status(), tt.want)
			}
		})
	}
}

func TestOrder_CancelCompensatesInReverse(t *testing.T) {
	o := placed(t)
	o.StockReserved(now)
	o.RequestPayment(now)
	o.PaymentSucceeded("pi_1", o.TotalMinor(), now)
	if err := o.Cancel(userID, "customer", "changed my mind", now); err != nil {
		t.Fatal(err)
	}
	if o.CancellationReason() != ReasonCustomer || !o.NeedsCompensation() || o.RefundDue() != o.TotalMinor() {
		t.Fatalf("reason %q needs %v due %d", o.CancellationReason(), o.NeedsCompensation(), o.RefundDue())
	}
	if err := o.FinishCompensation(now); !errors.Is(err, errs.FailedPrecondition) {
		t.Fatalf("finished before the stock and refund: %v", err)
	}
	o.AskRefund(RefundCancel, o.RefundDue(), now)
	o.AskRefund(RefundCancel, 1, now) // once per id
	o.StockReleased(now)
	if err := o.FinishCompensation(now); !errors.Is(err, errs.FailedPrecondition) {
		t.Fatalf("finished before the refund went through: %v", err)
	}
	o.RefundDone(RefundCancel, o.TotalMinor(), "re_1", now)
	if err := o.FinishCompensation(now); err != nil {
		t.Fatal(err)
	}
	if got := types(o); len(got) != 9 {
		t.Fatalf("events %v", got)
	}
	o = replay(t, o)
	if !o.Compensated() || o.RefundedMinor() != o.TotalMinor() || o.Stock() != StockReleased {
		t.Fatalf("compensated %v refunded %d stock %d", o.Compensated(), o.RefundedMinor(), o.Stock())
	}
}

func TestOrder_ReturnRefundsAndRestocks(t *testing.T) {
	o := placed(t)
	o.StockReserved(now)
	o.RequestPayment(now)
	o.PaymentSucceeded("pi_1", o.TotalMinor(), now)
	for _, to := range []Status{StatusShipped} {
		if err := o.Move(to, adminID, now); err != nil {
			t.Fatal(err)
		}
	}
	o.StockCommitted(now)
	if err := o.RequestReturn("", now); !errors.Is(err, errs.InvalidArgument) {
		t.Fatalf("a return without a reason: %v", err)
	}
	if err := o.RequestReturn("too loud", now); !errors.Is(err, errs.FailedPrecondition) {
		t.Fatalf("a return before delivery: %v", err)
	}
	if err := o.Move(StatusDelivered, adminID, now); err != nil {
		t.Fatal(err)
	}
	if err := o.RequestReturn("too loud", now); err != nil {
		t.Fatal(err)
	}
	if err := o.Move(StatusReturned, adminID, now); err != nil {
		t.Fatal(err)
	}
	if !o.NeedsRestock() {
		t.Fatal("a returned order needs its units back")
	}
	o.StockRestocked(now)
	o.AskRefund(RefundReturn, o.TotalMinor(), now)
	o.RefundDone(RefundReturn, o.TotalMinor(), "re_2", now)
	o = replay(t, o)
	hist := o.History()
	want := []Status{StatusPending, StatusPaid, StatusShipped, StatusDelivered, StatusReturnRequested, StatusReturned}
	if len(hist) != len(want) {
		t.Fatalf("history %v", hist)
	}
	for i, h := range hist {
		if h.Status != want[i] {
			t.Fatalf("history %v, want %v", hist, want)
		}
	}
	if o.Stock() != StockRestocked || o.RefundedMinor() != o.TotalMinor() {
		t.Fatalf("stock %d refunded %d", o.Stock(), o.RefundedMinor())
	}
}

func TestOrder_ChargeAfterCancelIsRefunded(t *testing.T) {
	o := placed(t)
	o.StockReserved(now)
	o.RequestPayment(now)
	if err := o.Cancel(userID, "customer", "", now); err != nil {
		t.Fatal(err)
	}
	if o.PaymentSucceeded("pi_1", o.TotalMinor(), now) {
		t.Fatal("a cancelled order took a late charge as paid")
	}
	if o.Status() != StatusCancelled || len(o.Pending()) != 4 {
		t.Fatalf("status %s, events %v", o.Status(), types(o))
	}
}

func TestOrder_AbandonOnlyUnplaced(t *testing.T) {
	if o := placed(t); o.Abandon("SAVE10", now) {
		t.Fatal("a placed order was abandoned")
	}
	o := NewOrder(OrderStream(orderID))
	if !o.Abandon("SAVE10", now) || o.Abandon("SAVE10", now) {
		t.Fatal("abandon once")
	}
	if err := o.Place(Placement{UserID: userID, Lines: []Line{{ProductID: "p", Quantity: 1}}, Currency: "USD"}, now); !errors.Is(err, errs.AlreadyExists) {
		t.Fatalf("placed after abandonment: %v", err)
	}
}

func TestDiscount_Amount(t *testing.T) {
	tests := []struct {
		name     string
		terms    DiscountTerms
		subtotal int64
		want     int64
	}{
		{"10 percent", DiscountTerms{PercentOff: 10}, 12_990, 1_299},
		{"half up at .5", DiscountTerms{PercentOff: 15}, 1_010, 152},    // 151.5 → 152
		{"half up below .5", DiscountTerms{PercentOff: 15}, 1_003, 150}, // 150.45 → 150
		{"100 percent", DiscountTerms{PercentOff: 100}, 999, 999},
		{"amount", DiscountTerms{AmountOffMinor: 500}, 12_990, 500},
		{"amount above the subtotal", DiscountTerms{AmountOffMinor: 5_000}, 1_999, 1_999},
		{"1 percent of a cent", DiscountTerms{PercentOff: 1}, 49, 0},
		{"1 percent of 50 cents", DiscountTerms{PercentOff: 1}, 50, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.terms.Amount(tt.subtotal); got != tt.want {
				t.Fatalf("Amount(%d) = %d, want %d", tt.subtotal, got, tt.want)
			}
		})
	}
}

func TestDiscount_Validate(t *testing.T) {
	tests := []struct {
		name  string
		terms DiscountTerms
		field string
	}{
		{"both", DiscountTerms{PercentOff: 10, AmountOffMinor: 100}, "percent_off"},
		{"neither", DiscountTerms{}, "percent_off"},
		{"percent above 100", DiscountTerms{PercentOff: 101}, "percent_off"},
		{"negative amount", DiscountTerms{AmountOffMinor: -1}, "amount_off"},
		{"negative minimum", DiscountTerms{PercentOff: 5, MinSubtotal: -1}, "min_subtotal"},
		{"negative redemptions", DiscountTerms{PercentOff: 5, MaxRedemptions: -1}, "max_redemptions"},
		{"expires before it starts", DiscountTerms{PercentOff: 5, StartsAt: now, ExpiresAt: now.Add(-time.Hour)}, "expires_at"},
		{"valid", DiscountTerms{PercentOff: 5, StartsAt: now, ExpiresAt: now.Add(time.Hour)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.terms.Validate()
			var v *errs.Validation
			switch {
			case tt.field == "" && err != nil:
				t.Fatal(err)
			case tt.field != "" && (!errors.As(err, &v) || v.Violations[0].Field != tt.field):
				t.Fatalf("err %v, want field %s", err, tt.field)
			}
		})
	}
}

func TestDiscount_Redeem(t *testing.T) {
	newDiscount := func(t *testing.T, terms DiscountTerms) *Discount {
		d := NewDiscount(DiscountStream("SAVE10"))
		if err := d.Create(terms, adminID, now); err != nil {
			t.Fatal(err)
		}
		return d
	}
	tests := []struct {
		name     string
		terms    DiscountTerms
		at       time.Time
		subtotal int64
		want     error
	}{
		{"in the window", DiscountTerms{PercentOff: 10, StartsAt: now.Add(-time.Hour), ExpiresAt: now.Add(time.Hour)}, now, 1000, nil},
		{"not started", DiscountTerms{PercentOff: 10, StartsAt: now.Add(time.Hour)}, now, 1000, ErrDiscountNotStarted},
		{"expired", DiscountTerms{PercentOff: 10, ExpiresAt: now}, now, 1000, ErrDiscountExpired},
		{"below the minimum", DiscountTerms{PercentOff: 10, MinSubtotal: 5000}, now, 4999, errs.FailedPrecondition},
		{"at the minimum", DiscountTerms{PercentOff: 10, MinSubtotal: 5000}, now, 5000, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDiscount(t, tt.terms)
			_, err := d.Redeem(orderID, tt.subtotal, tt.at)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("Redeem: %v, want %v", err, tt.want)
			}
			if tt.want != nil && !errors.Is(err, errs.FailedPrecondition) {
				t.Fatalf("a known code that cannot be redeemed must be failed_precondition: %v", err)
			}
		})
	}

	t.Run("max redemptions, released ones come back, repeats are free", func(t *testing.T) {
		d := newDiscount(t, DiscountTerms{AmountOffMinor: 100, MaxRedemptions: 2})
		for _, id := range []string{"o1", "o2", "o1"} {
			if _, err := d.Redeem(id, 1000, now); err != nil {
				t.Fatalf("redeem %s: %v", id, err)
			}
		}
		if _, err := d.Redeem("o3", 1000, now); !errors.Is(err, ErrDiscountUsedUp) {
			t.Fatalf("a third redemption: %v", err)
		}
		d.Release("o1", now)
		d.Release("o1", now)
		if _, err := d.Redeem("o3", 1000, now); err != nil {
			t.Fatalf("after a release: %v", err)
		}
		if d.Redemptions() != 2 || len(d.Pending()) != 5 {
			t.Fatalf("redemptions %d, events %d", d.Redemptions(), len(d.Pending()))
		}
	})
	t.Run("an unknown code", func(t *testing.T) {
		if _, err := NewDiscount(DiscountStream("NOPE")).Redeem(orderID, 1000, now); !errors.Is(err, errs.InvalidArgument) {
			t.Fatalf("unknown code: %v", err)
		}
	})
	t.Run("a taken code", func(t *testing.T) {
		d := newDiscount(t, DiscountTerms{PercentOff: 10})
		if err := d.Create(DiscountTerms{PercentOff: 10}, adminID, now); !errors.Is(err, errs.AlreadyExists) {
			t.Fatalf("created twice: %v", err)
		}
	})
}

func TestNormalizeCode(t *testing.T) {
	for in, want := range map[string]string{"save10": "SAVE10", " Black-Friday_26 ": "BLACK-FRIDAY_26"} {
		if got, err := NormalizeCode("code", in); err != nil || got != want {
			t.Errorf("NormalizeCode(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "ab", "with space", "ÄÖÜ123", "x234567890123456789012345678901234"} {
		if _, err := NormalizeCode("code", bad); !errors.Is(err, errs.InvalidArgument) {
			t.Errorf("NormalizeCode(%q): %v", bad, err)
		}
	}
}

func TestEvents_CatalogueHasEveryEventMessage(t *testing.T) {
	if missing := events.Unlisted(orderingv1.File_storefront_ordering_v1_events_proto, Events(), "ShippingAddress", "PlacedLine"); len(missing) != 0 {
		t.Fatalf("not in domain.Events(): %v", missing)
	}
	for _, e := range Events() {
		o, d := NewOrder(OrderStream(orderID)), NewDiscount(DiscountStream("X"))
		if o.Apply(e) != nil && d.Apply(e) != nil {
			t.Errorf("neither aggregate applies %T", e)
		}
	}
}
