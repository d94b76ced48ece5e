package domain

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/storefront/storefront/platform/money"
	orderingv1 "github.com/storefront/storefront/proto/storefront/ordering/v1"
)

// Kinds of mail.
const (
	KindOrderConfirmation = "order_confirmation"
	KindPaymentReceipt    = "payment_receipt"
	KindOrderShipped      = "order_shipped"
	KindOrderDelivered    = "order_delivered"
	KindOrderCancelled    = "order_cancelled"
	KindRefundIssued      = "refund_issued"
)

// Recipient is who a mail goes to.
type Recipient struct {
	UserID, Email, Name string
}

// Mail is a composed mail.
type Mail struct {
	Kind    string
	To      string
	Subject string
	Text    string
	HTML    string
}

// Line is an order line as the mails show it.
type Line struct {
	Name, SKU string
	Quantity  int32
	UnitPrice string
	Total     string
}

// Order is what the mails show of an order: its placement, from OrderPlaced.
type Order struct {
	ID, Currency              string
	Lines                     []Line
	Subtotal, Discount, Total string
	DiscountCode              string
	Address                   []string
	PlacedAt                  time.Time
	TotalMinor, SubtotalMinor int64
}

// OrderOf reads an order's placement.
func OrderOf(e *orderingv1.OrderPlaced) Order {
	cur := e.GetCurrency()
	f := func(minor int64) string { return money.Format(minor, cur) + " " + cur }
	o := Order{ID: e.GetOrderId(), Currency: cur, Subtotal: f(e.GetSubtotalMinor()), Discount: f(e.GetDiscountMinor()),
		Total: f(e.GetTotalMinor()), DiscountCode: e.GetDiscountCode(), PlacedAt: time.UnixMicro(e.GetPlacedAt()).UTC(),
		TotalMinor: e.GetTotalMinor(), SubtotalMinor: e.GetSubtotalMinor()}
	for _, l := range e.GetLines() {
		o.Lines = append(o.Lines, Line{Name: l.GetName(), SKU: l.GetSku(), Quantity: l.GetQuantity(), UnitPrice: f(l.GetUnitPriceMinor()),
			Total: f(l.GetUnitPriceMinor() * int64(l.GetQuantity()))})
	}
	if a := e.GetShippingAddress(); a != nil {
		for _, s := range []string{a.GetLine1(), a.GetLine2(), strings.TrimSpace(a.GetPostalCode() + " " + a.GetCity()), a.GetState(), a.GetCountry()} {
			if s != "" {
				o.Address = append(o.Address, s)
			}
		}
	}
	return o
}

// Details are what one mail says beyond the order.
type Details struct {
	// Reason is a cancellation's reason (out_of_stock, payment_declined, ...).
	Reason string
	// Amount is a refund's or a payment's amount, formatted (Compose's caller fills it in).
	Amount string
	// AmountMinor is a refund's amount in minor units.
	AmountMinor int64
	// Refund says a cancelled order's payment is being refunded.
	Refund bool
}

//go:embed templates/*.tmpl
var templates embed.FS

// Composer renders the mails of one store.
type Composer struct {
	// Store is the store's name, in subjects and greetings.
	Store string
	// OrdersURL is the storefront's order page, with {order_id} for the order.
	OrdersURL string
	text      *texttemplate.Template
	html      *htmltemplate.Template
}

// NewComposer parses the templates.
func NewComposer(store, ordersURL string) (*Composer, error) {
	t, err := texttemplate.ParseFS(templates, "templates/*.txt.tmpl")
	if err != nil {
		return nil, fmt.Errorf("mail templates (text): %w", err)
	}
	h, err := htmltemplate.ParseFS(templates, "templates/*.html.tmpl")
	if err != nil {
		return nil, fmt.Errorf("mail templates (html): %w", err)
	}
	return &Composer{Store: store, OrdersURL: ordersURL, text: t, html: h}, nil
}

// subject is the subject line of a kind, with %s for the order's short id.
func subject(kind string) (string, bool) {
	switch kind {
	case KindOrderConfirmation:
		return "Your order %s is placed", true
	case KindPaymentReceipt:
		return "Receipt for your order %s", true
	case KindOrderShipped:
		return "Your order %s is on its way", true
	case KindOrderDelivered:
		return "Your order %s was delivered", true
	case KindOrderCancelled:
		return "Your order %s was cancelled", true
	case KindRefundIssued:
		return "Your refund for order %s", true
	}
	return "", false
}

// reason says a cancellation's reason to the customer.
func reason(r string) string {
	switch r {
	case "out_of_stock":
		return "an item ran out of stock before we could reserve it"
	case "payment_declined":
		return "the payment was declined"
	case "payment_expired":
		return "the payment was not completed in time"
	case "checkout_timeout":
		return "we could not complete the checkout in time"
	case "customer":
		return "you cancelled it"
	case "admin":
		return "our team cancelled it"
	}
	return ""
}

// Compose renders the mail of a kind for an order.
func (c *Composer) Compose(kind string, to Recipient, o Order, d Details) (Mail, error) {
	subj, ok := subject(kind)
	if !ok {
		return Mail{}, fmt.Errorf("no mail of kind %q", kind)
	}
	short := o.ID
	if len(short) > 8 {
		short = short[:8]
	}
	data := map[string]any{"Store": c.Store, "Name": to.Name, "Order": o, "Short": short, "Details": d,
		"Reason": reason(d.Reason), "URL": strings.ReplaceAll(c.OrdersURL, "{order_id}", o.ID)}
	var text, html bytes.Buffer
	if err := c.text.ExecuteTemplate(&text, kind+".txt.tmpl", data); err != nil {
		return Mail{}, err
	}
	if err := c.html.ExecuteTemplate(&html, kind+".html.tmpl", data); err != nil {
		return Mail{}, err
	}
	return Mail{Kind: kind, To: to.Email, Subject: fmt.Sprintf("%s: "+subj, c.Store, short), Text: text.String(), HTML: html.String()}, nil
}
