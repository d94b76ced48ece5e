package domain

import (
	"errors"
	"testing"
	"time"

	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/events"
	paymentsv1 "github.com/storefront/storefront/proto/storefront/payments/v1"
)

var now = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

func requested(t *testing.T) *Payment {
	t.Helper()
	p := NewPayment(PaymentStream("o1"))
	if err := p.Request(Request{UserID: "u", Method: "pm_card_visa", Currency: "USD", AmountMinor: 1000, Provider: ProviderStripe}, now); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPayment_Settle(t *testing.T) {
	tests := []struct {
		name  string
		steps func(p *Payment)
		want  Status
	}{
		{"succeeded", func(p *Payment) { p.Settle(Outcome{Status: StatusSucceeded, ProviderRef: "pi_1"}, now) }, StatusSucceeded},
		{"declined", func(p *Payment) { p.Settle(Outcome{Status: StatusDeclined, DeclineCode: "card_declined"}, now) }, StatusDeclined},
		{"action, then succeeded", func(p *Payment) {
			p.Settle(Outcome{Status: StatusActionRequired, ProviderRef: "pi_1", ActionURL: "https://bank"}, now)
			p.Settle(Outcome{Status: StatusSucceeded, ProviderRef: "pi_1"}, now)
		}, StatusSucceeded},
		{"a decline after success changes nothing", func(p *Payment) {
			p.Settle(Outcome{Status: StatusSucceeded, ProviderRef: "pi_1"}, now)
			p.Settle(Outcome{Status: StatusDeclined}, now)
		}, StatusSucceeded},
		{"expired", func(p *Payment) { p.Expire(now) }, StatusExpired},
		{"a charge that landed after the expiry is recorded", func(p *Payment) {
			p.Expire(now)
			p.Settle(Outcome{Status: StatusSucceeded, ProviderRef: "pi_1"}, now)
		}, StatusSucceeded},
		{"a succeeded payment does not expire", func(p *Payment) {
			p.Settle(Outcome{Status: StatusSucceeded, ProviderRef: "pi_1"}, now)
			p.Expire(now)
		}, StatusSucceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := requested(t)
			tt.steps(p)
			replayed := NewPayment(p.StreamID())
			for _, e := range p.Pending() {
				if err := replayed.Apply(e); err != nil {
					t.Fatal(err)
				}
			}
			if p.Status() != tt.want || replayed.Status() != tt.want {
				t.Fatalf("status %d (replayed %d), want %d", p.Status(), replayed.Status(), tt.want)
			}
		})
	}
}

func TestPayment_Refunds(t *testing.T) {
	p := requested(t)
	if err := p.AskRefund("cancel", 100, "cancelled", now); !errors.Is(err, ErrNotRefundable) {
		t.Fatalf("refund before the charge: %v", err)
	}
	p.Settle(Outcome{Status: StatusSucceeded, ProviderRef: "pi_1"}, now)
	if err := p.AskRefund("cancel", 600, "cancelled", now); err != nil {
		t.Fatal(err)
	}
	if err := p.AskRefund("cancel", 600, "cancelled", now); err != nil || len(p.Pending()) != 3 {
		t.Fatalf("a repeated refund id: %v, %d events", err, len(p.Pending()))
	}
	if err := p.AskRefund("cancel", 700, "cancelled", now); !errors.Is(err, errs.FailedPrecondition) {
		t.Fatalf("the same id with another amount: %v", err)
	}
	if err := p.AskRefund("return", 401, "returned", now); !errors.Is(err, ErrRefundTooLarge) {
		t.Fatalf("beyond the charge: %v", err)
	}
	p.RefundOutcome("cancel", false, "", "expired_or_canceled_card", now)
	if err := p.AskRefund("return", 1000, "returned", now); err != nil {
		t.Fatalf("a failed refund frees its amount: %v", err)
	}
	p.RefundOutcome("return", true, "re_1", "", now)
	if p.RefundedMinor() != 1000 {
		t.Fatalf("refunded %d", p.RefundedMinor())
	}
}

func TestEvents_CatalogueHasEveryEventMessage(t *testing.T) {
	if missing := events.Unlisted(paymentsv1.File_storefront_payments_v1_events_proto, Events()); len(missing) != 0 {
		t.Fatalf("not in domain.Events(): %v", missing)
	}
	for _, e := range Events() {
		if err := NewPayment(PaymentStream("o")).Apply(e); err != nil {
			t.Errorf("Apply(%T): %v", e, err)
		}
	}
}
