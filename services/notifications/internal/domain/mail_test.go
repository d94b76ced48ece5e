package domain

import (
	"strings"
	"testing"

	orderingv1 "github.com/storefront/storefront/proto/storefront/ordering/v1"
)

func placed() *orderingv1.OrderPlaced {
	return &orderingv1.OrderPlaced{OrderId: "0190a000-0000-7000-8000-0000000000c1", UserId: "u1", Currency: "USD",
		Lines:         []*orderingv1.PlacedLine{{ProductId: "p1", Sku: "KB-1", Name: "Split <Keyboard>", UnitPriceMinor: 12_990, Quantity: 2}},
		SubtotalMinor: 25_980, DiscountCode: "SAVE10", DiscountMinor: 2_598, TotalMinor: 23_382,
		ShippingAddress: &orderingv1.ShippingAddress{Line1: "1 Main St", City: "Berlin", PostalCode: "10115", Country: "DE"}}
}

func TestComposer_EveryKind(t *testing.T) {
	c, err := NewComposer("Storefront", "https://shop.test/orders/{order_id}")
	if err != nil {
		t.Fatal(err)
	}
	to := Recipient{UserID: "u1", Email: "ada@example.com", Name: "Ada"}
	o := OrderOf(placed())
	tests := []struct {
		kind    string
		details Details
		subject string
		text    []string
	}{
		{KindOrderConfirmation, Details{}, "Your order 0190a000 is placed", []string{"2 × Split <Keyboard> (KB-1)", "129.90 USD each", "259.80 USD", "Discount (SAVE10)  −25.98 USD", "Total     233.82 USD", "1 Main St", "10115 Berlin"}},
		{KindPaymentReceipt, Details{Amount: "233.82 USD"}, "Receipt for your order 0190a000", []string{"payment of 233.82 USD"}},
		{KindOrderShipped, Details{}, "is on its way", []string{"is on its way"}},
		{KindOrderDelivered, Details{}, "was delivered", []string{"return it"}},
		{KindOrderCancelled, Details{Reason: "payment_declined"}, "was cancelled", []string{"the payment was declined", "Nothing was charged"}},
		{KindOrderCancelled, Details{Reason: "customer", Refund: true}, "was cancelled", []string{"you cancelled it", "being refunded"}},
		{KindRefundIssued, Details{Amount: "233.82 USD"}, "Your refund for order 0190a000", []string{"refunded 233.82 USD"}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			m, err := c.Compose(tt.kind, to, o, tt.details)
			if err != nil {
				t.Fatal(err)
			}
			if m.To != to.Email || !strings.HasPrefix(m.Subject, "Storefront: ") || !strings.Contains(m.Subject, tt.subject) {
				t.Fatalf("to %q subject %q", m.To, m.Subject)
			}
			for _, want := range append(tt.text, "Hello Ada", "https://shop.test/orders/"+o.ID) {
				if !strings.Contains(m.Text, want) {
					t.Errorf("text lacks %q:\n%s", want, m.Text)
				}
			}
			if !strings.Contains(m.HTML, "Hello Ada") || !strings.Contains(m.HTML, `href="https://shop.test/orders/`+o.ID+`"`) {
				t.Errorf("html:\n%s", m.HTML)
			}
			if strings.Contains(m.HTML, "<Keyboard>") {
				t.Errorf("the HTML does not escape names:\n%s", m.HTML)
			}
		})
	}
	if _, err := c.Compose("nonsense", to, o, Details{}); err == nil {
		t.Fatal("an unknown kind composed")
	}
}
