package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/services/ordering/internal/domain"
)

// PlaceOrder is a customer's checkout request.
type PlaceOrder struct {
	UserID string
	// Address is the address given with the request; AddressID names a saved one instead.
	Address   *domain.Address
	AddressID string
	// DiscountCode as the customer typed it; empty for none.
	DiscountCode  string
	PaymentMethod string
	// IdempotencyKey is the Idempotency-Key header; HasKey tells an absent header from an
	// empty one (which is invalid).
	IdempotencyKey string
	HasKey         bool
}

// Limits of a request.
const (
	maxIdempotencyKeyLen = 255
	maxPaymentMethodLen  = 255
	maxAddressFieldLen   = 200
)

// CustomerClaimScope is the claim scope that indexes a customer's orders in the event store,
// written with each OrderPlaced: the consistent list behind read-your-writes.
func CustomerClaimScope(userID string) string { return "order.customer:" + userID }

// orderIDs names the orders placed with an Idempotency-Key.
var orderIDs = uuid.MustParse("0d6f3a52-7c1e-4b8e-9a3d-5f2c8e1b7a40")

// keyedOrderID is the order id of the n-th use of a customer's Idempotency-Key (a key used
// again after its window names a new order).
func keyedOrderID(userID, key string, n int) string {
	return uuid.NewSHA1(orderIDs, []byte(userID+"\x00"+key+"\x00"+strconv.Itoa(n))).String()
}

// PlaceOrder places an order from the caller's cart and returns it; replayed is true when
// the Idempotency-Key named an order placed before. Checkout goes on in the saga.
func (a *App) PlaceOrder(ctx context.Context, cmd PlaceOrder) (o *domain.Order, replayed bool, err error) {
	if cmd.UserID == "" {
		return nil, false, errs.Unauthenticated
	}
	code, err := a.validatePlacement(cmd)
	if err != nil {
		return nil, false, err
	}
	digest := placementDigest(cmd, code)
	now := a.now()

	orderID := uuid.Must(uuid.NewV7()).String()
	if cmd.HasKey {
		var existing *domain.Order
		orderID, existing, err = a.orderOfKey(ctx, cmd.UserID, cmd.IdempotencyKey)
		if err != nil {
			return nil, false, err
		}
		if existing != nil {
			return a.replay(existing, digest)
		}
	}

	cart, err := a.d.Carts.CheckoutCart(ctx, cmd.UserID)
	if err != nil {
		// A concurrent duplicate may have placed the order and the saga checked the cart out
		// meanwhile: the key answers with that order.
		if o, ok := a.placedMeanwhile(ctx, cmd, orderID); ok {
			return a.replay(o, digest)
		}
		return nil, false, err
	}
	address, err := a.shippingAddress(ctx, cmd)
	if err != nil {
		return nil, false, err
	}
	lines := make([]domain.Line, len(cart.Lines))
	for i, l := range cart.Lines {
		lines[i] = domain.Line{CartItemID: l.ItemID, ProductID: l.ProductID, SKU: l.SKU, Name: l.Name,
			UnitPriceMinor: l.UnitPriceMinor, Quantity: l.Quantity}
	}
	currency := cart.Currency
	if currency == "" {
		currency = a.d.Currency
	}

	var discount int64
	if code != "" {
		if discount, err = a.redeem(ctx, code, orderID, cart.SubtotalMinor); err != nil {
			if o, ok := a.placedMeanwhile(ctx, cmd, orderID); ok {
				return a.replay(o, digest)
			}
			return nil, false, err
		}
	}

	o = domain.NewOrder(domain.OrderStream(orderID))
	if err := o.Place(domain.Placement{UserID: cmd.UserID, Lines: lines, Currency: currency, DiscountCode: code,
		DiscountMinor: discount, Address: address, PaymentMethod: cmd.PaymentMethod, IdempotencyKey: cmd.IdempotencyKey,
		RequestDigest: digest, CartVersion: cart.Version}, now); err != nil {
		return nil, false, err
	}
	err = a.d.Orders.Save(ctx, o, es.WithClaims(es.Claim{Scope: CustomerClaimScope(cmd.UserID), Value: orderID}))
	if errors.Is(err, es.ErrConcurrency) {
		// A concurrent request with the same key placed it first (or the placement check gave
		// the order id up): answer as that request does.
		stored, lerr := a.d.Orders.Load(ctx, domain.OrderStream(orderID))
		switch {
		case lerr != nil:
			return nil, false, lerr
		case !stored.Placed():
			return nil, false, fmt.Errorf("%w: the order could not be placed in time; try again", errs.Aborted)
		case !bytes.Equal(stored.RequestDigest(), digest):
			return nil, false, domain.ErrIdempotencyKeyReused
		}
		return stored, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	return o, false, nil
}

// replay answers a request whose Idempotency-Key names a placed order: that order, or
// ErrIdempotencyKeyReused for another body.
func (a *App) replay(o *domain.Order, digest []byte) (*domain.Order, bool, error) {
	if !bytes.Equal(o.RequestDigest(), digest) {
		return nil, false, domain.ErrIdempotencyKeyReused
	}
	return o, true, nil
}

// placedMeanwhile returns the order a keyed request's id names when a concurrent duplicate
// placed it after this request looked.
func (a *App) placedMeanwhile(ctx context.Context, cmd PlaceOrder, orderID string) (*domain.Order, bool) {
	if !cmd.HasKey {
		return nil, false
	}
	o, err := a.d.Orders.Load(ctx, domain.OrderStream(orderID))
	if err != nil || !o.Placed() {
		return nil, false
	}
	return o, true
}

// orderOfKey finds the order a customer's Idempotency-Key names: the placed order still in
// its window, or else the id a new order takes.
func (a *App) orderOfKey(ctx context.Context, userID, key string) (string, *domain.Order, error) {
	for n := 1; ; n++ {
		id := keyedOrderID(userID, key, n)
		o, err := a.d.Orders.Load(ctx, domain.OrderStream(id))
		switch {
		case errors.Is(err, aggregate.ErrNotFound):
			return id, nil, nil
		case err != nil:
			return "", nil, err
		case o.Placed() && a.now().Sub(o.CreatedAt()) < a.d.IdempotencyWindow:
			return id, o, nil
		}
		// Abandoned, or placed before the window: the key is free again, under the next id.
	}
}

// redeem takes one of the code's redemptions for the order, refusing when it is used up:
// the discount's stream serialises its redemptions, so there is no over-redemption.
func (a *App) redeem(ctx context.Context, code, orderID string, subtotal int64) (int64, error) {
	var amount int64
	_, err := a.d.Discounts.Update(ctx, domain.DiscountStream(code), func(d *domain.Discount) error {
		var err error
		amount, err = d.Redeem(orderID, subtotal, a.now())
		return err
	})
	if errors.Is(err, aggregate.ErrNotFound) {
		return 0, domain.ErrDiscountUnknown
	}
	return amount, err
}

func (a *App) validatePlacement(cmd PlaceOrder) (code string, err error) {
	var v errs.Validation
	if cmd.HasKey && (cmd.IdempotencyKey == "" || len(cmd.IdempotencyKey) > maxIdempotencyKeyLen || !utf8.ValidString(cmd.IdempotencyKey)) {
		v.Add("Idempotency-Key", fmt.Sprintf("must be 1 to %d characters", maxIdempotencyKeyLen))
	}
	switch {
	case cmd.PaymentMethod == "":
		v.Add("payment_method", "is required")
	case len(cmd.PaymentMethod) > maxPaymentMethodLen || strings.ContainsAny(cmd.PaymentMethod, " \t\r\n"):
		v.Add("payment_method", "is not a payment method id")
	}
	switch {
	case cmd.Address != nil && cmd.AddressID != "":
		v.Add("address_id", "give shipping_address or address_id, not both")
	case cmd.Address == nil && cmd.AddressID == "":
		v.Add("shipping_address", "give shipping_address or address_id")
	case cmd.Address != nil:
		validateAddress(&v, *cmd.Address)
	case uuid.Validate(cmd.AddressID) != nil:
		v.Add("address_id", "no such address")
	}
	if cmd.DiscountCode != "" {
		if code, err = domain.NormalizeCode("discount_code", cmd.DiscountCode); err != nil {
			v.Add("discount_code", "no such discount code")
		}
	}
	return code, v.Err()
}

func validateAddress(v *errs.Validation, a domain.Address) {
	required := map[string]string{"line1": a.Line1, "city": a.City, "postal_code": a.PostalCode}
	for _, f := range []string{"line1", "city", "postal_code"} {
		if strings.TrimSpace(required[f]) == "" {
			v.Add("shipping_address."+f, "is required")
		}
	}
	for f, s := range map[string]string{"line1": a.Line1, "line2": a.Line2, "city": a.City, "state": a.State, "postal_code": a.PostalCode} {
		if len([]rune(s)) > maxAddressFieldLen {
			v.Add("shipping_address."+f, fmt.Sprintf("must be at most %d characters", maxAddressFieldLen))
		}
	}
	if len(a.Country) != 2 || strings.ToUpper(a.Country) != a.Country || strings.Trim(a.Country, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		v.Add("shipping_address.country", "must be an ISO 3166-1 alpha-2 code, e.g. DE")
	}
}

func (a *App) shippingAddress(ctx context.Context, cmd PlaceOrder) (domain.Address, error) {
	if cmd.Address != nil {
		addr := *cmd.Address
		addr.ID = ""
		return addr, nil
	}
	addr, err := a.d.Addresses.Address(ctx, cmd.AddressID)
	if errors.Is(err, errs.NotFound) {
		return domain.Address{}, errs.Field("address_id", "no such address")
	}
	return addr, err
}

// placementDigest identifies a request's body, to tell a repeat from another request under
// the same Idempotency-Key.
func placementDigest(cmd PlaceOrder, code string) []byte {
	h := sha256.New()
	field := func(s string) { fmt.Fprintf(h, "%d:%s;", len(s), s) }
	if a := cmd.Address; a != nil {
		field("address")
		for _, s := range []string{a.Line1, a.Line2, a.City, a.State, a.PostalCode, a.Country} {
			field(s)
		}
	} else {
		field("address_id")
		field(cmd.AddressID)
	}
	field(code)
	field(cmd.PaymentMethod)
	return h.Sum(nil)
}
