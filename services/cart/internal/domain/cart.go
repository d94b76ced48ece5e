package domain

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/errs"
	cartv1 "github.com/storefront/storefront/proto/storefront/cart/v1"
)

// Limits of a cart.
const (
	// MaxQuantity is the most units one line holds (API.md: 1..99 per line).
	MaxQuantity = 99
	// MaxLines is the most lines one cart holds: enough for any real basket, and it bounds
	// what a cart read prices.
	MaxLines = 100
)

var (
	// ErrItemNotFound is a line id that is not in the caller's cart (another user's line
	// ids are not found either: no enumeration).
	ErrItemNotFound = fmt.Errorf("%w: no such item in your cart", errs.NotFound)
	// ErrCartFull is a new line beyond MaxLines.
	ErrCartFull = fmt.Errorf("%w: the cart holds %d lines, the most it can; remove one first", errs.FailedPrecondition, MaxLines)
)

// InsufficientStockError is a quantity beyond the units available to sell.
type InsufficientStockError struct {
	ProductID string
	Requested int32
	Available int32
}

func (e *InsufficientStockError) Error() string {
	return fmt.Sprintf("only %d units of product %s are available; the cart would hold %d", e.Available, e.ProductID, e.Requested)
}

// Is makes the error a FailedPrecondition (API.md: insufficient stock → 409).
func (e *InsufficientStockError) Is(target error) bool { return target == errs.FailedPrecondition }

// CartStream is the stream id of a user's cart.
func CartStream(userID string) string { return "cart-" + userID }

// cartIDs names the carts' public ids: a name-based UUID of the user id, so that a cart has
// one stable id from its first read on, and the id does not show the user id.
var cartIDs = uuid.MustParse("6f1c1b1e-2b2f-4c6a-9a51-3f0b9d6c2a10")

// CartID is the public id of a user's cart.
func CartID(userID string) string { return uuid.NewSHA1(cartIDs, []byte(userID)).String() }

// Line is one line of a cart.
type Line struct {
	ItemID    string
	ProductID string
	Quantity  int32
	AddedAt   time.Time
}

// Cart is a user's cart: its lines in the order they were added, and the orders placed from
// it (so that checking an order out twice changes nothing).
type Cart struct {
	aggregate.Changes
	userID     string
	lines      []Line
	checkedOut map[string]bool
}

// NewCart returns an empty cart for the stream id, for loading (or for a new user).
func NewCart(streamID string) *Cart {
	return &Cart{userID: streamID[len("cart-"):], checkedOut: map[string]bool{}}
}

// Getters.
func (c *Cart) UserID() string { return c.userID }
func (c *Cart) ID() string     { return CartID(c.userID) }

// Lines returns a copy of the cart's lines, oldest first.
func (c *Cart) Lines() []Line { return slices.Clone(c.lines) }

// ProductIDs returns the products of the cart's lines.
func (c *Cart) ProductIDs() []string {
	out := make([]string, len(c.lines))
	for i, l := range c.lines {
		out[i] = l.ProductID
	}
	return out
}

// CheckedOut reports whether the order was placed from this cart.
func (c *Cart) CheckedOut(orderID string) bool { return c.checkedOut[orderID] }

// StreamID implements aggregate.Root.
func (c *Cart) StreamID() string { return CartStream(c.userID) }

// ValidateQuantity checks a requested quantity.
func ValidateQuantity(q int32) error {
	if q < 1 || q > MaxQuantity {
		return errs.Field("quantity", fmt.Sprintf("must be from 1 to %d", MaxQuantity))
	}
	return nil
}

// Add puts quantity units of the product in the cart: on its line when it has one, else on a
// new line with id itemID. available is the units of the product available to sell; the line
// may not end above it. It returns the line as it is after the add.
func (c *Cart) Add(itemID, productID string, quantity, available int32, now time.Time) (Line, error) {
	if err := ValidateQuantity(quantity); err != nil {
		return Line{}, err
	}
	if i := c.lineOfProduct(productID); i >= 0 {
		l := c.lines[i]
		total := l.Quantity + quantity
		if total > MaxQuantity {
			return Line{}, errs.Field("quantity", fmt.Sprintf("the line already holds %d units; a line holds at most %d", l.Quantity, MaxQuantity))
		}
		if total > available {
			return Line{}, &InsufficientStockError{ProductID: productID, Requested: total, Available: max(available, 0)}
		}
		c.record(&cartv1.CartItemQuantityChanged{UserId: c.userID, ItemId: l.ItemID, ProductId: productID, Quantity: total,
			PreviousQuantity: l.Quantity, ChangedAt: now.UnixMicro()})
		return c.lines[i], nil
	}
	if len(c.lines) >= MaxLines {
		return Line{}, ErrCartFull
	}
	if quantity > available {
		return Line{}, &InsufficientStockError{ProductID: productID, Requested: quantity, Available: max(available, 0)}
	}
	c.record(&cartv1.CartItemAdded{UserId: c.userID, ItemId: itemID, ProductId: productID, Quantity: quantity, AddedAt: now.UnixMicro()})
	return c.lines[len(c.lines)-1], nil
}

// Line returns the line with the id.
func (c *Cart) Line(itemID string) (Line, error) {
	i := c.lineOfItem(itemID)
	if i < 0 {
		return Line{}, ErrItemNotFound
	}
	return c.lines[i], nil
}

// SetQuantity sets a line's quantity. Raising it beyond available (the product's units
// available to sell, 0 for a deleted product) fails; lowering it always works, so that a
// shopper can bring a line back within a stock that fell.
func (c *Cart) SetQuantity(itemID string, quantity, available int32, now time.Time) error {
	if err := ValidateQuantity(quantity); err != nil {
		return err
	}
	i := c.lineOfItem(itemID)
	if i < 0 {
		return ErrItemNotFound
	}
	l := c.lines[i]
	switch {
	case quantity == l.Quantity:
		return nil
	case quantity > l.Quantity && quantity > available:
		return &InsufficientStockError{ProductID: l.ProductID, Requested: quantity, Available: max(available, 0)}
	}
	c.record(&cartv1.CartItemQuantityChanged{UserId: c.userID, ItemId: itemID, ProductId: l.ProductID, Quantity: quantity,
		PreviousQuantity: l.Quantity, ChangedAt: now.UnixMicro()})
	return nil
}

// Remove takes a line out of the cart.
func (c *Cart) Remove(itemID string, now time.Time) error {
	i := c.lineOfItem(itemID)
	if i < 0 {
		return ErrItemNotFound
	}
	c.record(&cartv1.CartItemRemoved{UserId: c.userID, ItemId: itemID, ProductId: c.lines[i].ProductID, RemovedAt: now.UnixMicro()})
	return nil
}

// Clear takes every line out of the cart; an empty cart stays as it is.
func (c *Cart) Clear(now time.Time) {
	if len(c.lines) > 0 {
		c.record(&cartv1.CartCleared{UserId: c.userID, ClearedAt: now.UnixMicro()})
	}
}

// OrderedLine is a line (or part of one) that an order took.
type OrderedLine struct {
	ItemID    string
	ProductID string
	Quantity  int32
}

// CheckOut takes an order's lines out of the cart, once per order: it reports false, and
// changes nothing, for an order already checked out. Each ordered line takes its units off
// the cart's line of that id and product (a line added or raised after the checkout read
// keeps the units the order did not take); a line no longer in the cart takes nothing.
func (c *Cart) CheckOut(orderID string, ordered []OrderedLine, now time.Time) (bool, error) {
	if orderID == "" {
		return false, errs.Field("order_id", "is required")
	}
	if c.checkedOut[orderID] {
		return false, nil
	}
	var lines []*cartv1.CheckedOutLine
	for _, o := range ordered {
		if o.Quantity < 1 {
			return false, errs.Field("lines", "each line takes at least one unit")
		}
		i := c.lineOfItem(o.ItemID)
		if i < 0 || c.lines[i].ProductID != o.ProductID {
			continue
		}
		lines = append(lines, &cartv1.CheckedOutLine{ItemId: o.ItemID, ProductId: o.ProductID, Quantity: min(o.Quantity, c.lines[i].Quantity)})
	}
	c.record(&cartv1.CartCheckedOut{UserId: c.userID, OrderId: orderID, Lines: lines, CheckedOutAt: now.UnixMicro()})
	return true, nil
}

func (c *Cart) lineOfProduct(productID string) int {
	return slices.IndexFunc(c.lines, func(l Line) bool { return l.ProductID == productID })
}

func (c *Cart) lineOfItem(itemID string) int {
	return slices.IndexFunc(c.lines, func(l Line) bool { return l.ItemID == itemID })
}

func (c *Cart) record(e proto.Message) {
	_ = c.Apply(e)
	c.Record(e)
}

// Apply implements aggregate.Root.
func (c *Cart) Apply(e proto.Message) error {
	switch e := e.(type) {
	case *cartv1.CartItemAdded:
		c.lines = append(c.lines, Line{ItemID: e.GetItemId(), ProductID: e.GetProductId(), Quantity: e.GetQuantity(),
			AddedAt: time.UnixMicro(e.GetAddedAt()).UTC()})
	case *cartv1.CartItemQuantityChanged:
		if i := c.lineOfItem(e.GetItemId()); i >= 0 {
			c.lines[i].Quantity = e.GetQuantity()
		}
	case *cartv1.CartItemRemoved:
		c.lines = slices.DeleteFunc(c.lines, func(l Line) bool { return l.ItemID == e.GetItemId() })
	case *cartv1.CartCleared:
		c.lines = nil
	case *cartv1.CartCheckedOut:
		c.checkedOut[e.GetOrderId()] = true
		for _, o := range e.GetLines() {
			if i := c.lineOfItem(o.GetItemId()); i >= 0 {
				c.lines[i].Quantity -= o.GetQuantity()
			}
		}
		c.lines = slices.DeleteFunc(c.lines, func(l Line) bool { return l.Quantity <= 0 })
	default:
		return fmt.Errorf("cart: unexpected event %T", e)
	}
	return nil
}

// Clone returns a copy of the cart that can be changed without changing c (readers share
// cached carts; a command changes its own copy).
func (c *Cart) Clone() *Cart {
	cp := *c
	cp.lines = slices.Clone(c.lines)
	cp.checkedOut = maps.Clone(c.checkedOut)
	return &cp
}
