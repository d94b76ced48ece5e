package domain

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/money"
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
)

// Product statuses, as clients see them.
const (
	StatusActive  = "active"
	StatusDeleted = "deleted"
)

// Reasons of a StockAdjusted event.
const ReasonSetByAdmin = "set_by_admin"

// ReasonReturned is the reason of a StockAdjusted that puts a returned order's units back.
const ReasonReturned = "returned"

var (
	// ErrProductDeleted: the command needs a product that is on the storefront.
	ErrProductDeleted = fmt.Errorf("%w: the product is deleted; restore it first (status \"active\")", errs.FailedPrecondition)
	// ErrProductUnavailable: a deleted product cannot be reserved for new orders.
	ErrProductUnavailable = errors.New("product is not for sale")
	// ErrHoldMismatch: an order already holds another quantity of the product.
	ErrHoldMismatch = fmt.Errorf("%w: the order already holds another quantity of this product", errs.FailedPrecondition)
)

// InsufficientStockError says a reservation asked for more than is available. It is a
// FailedPrecondition error naming the product.
type InsufficientStockError struct {
	ProductID string
	SKU       string
	Requested int32
	Available int32
}

func (e *InsufficientStockError) Error() string {
	return fmt.Sprintf("insufficient stock for product %s (SKU %s): %d requested, %d available", e.ProductID, e.SKU, e.Requested, e.Available)
}

// Is makes errors.Is(err, errs.FailedPrecondition) true.
func (e *InsufficientStockError) Is(target error) bool { return target == errs.FailedPrecondition }

// ProductStream is the stream id of a product.
func ProductStream(productID string) string { return "product-" + productID }

// Product is an article of the catalog: its details, price and stock, and the units held for
// orders. available = onHand − Σ holds, and neither is ever negative.
type Product struct {
	aggregate.Changes
	id         string
	details    Details
	priceMinor int64
	currency   string
	onHand     int32
	reserved   int32
	// holds are the units reserved per order id, until committed or released.
	holds map[string]int32
	// committed are the orders whose holds were sold: a late, repeated reservation for one of
	// them must not hold units again (see docs/decisions/010-catalog.md).
	committed map[string]bool
	// returned are the committed orders whose units came back (Restock is once per order).
	returned  map[string]bool
	deleted   bool
	createdAt time.Time
	updatedAt time.Time
}

// NewProduct returns an empty product for the stream id, for loading.
func NewProduct(streamID string) *Product {
	return &Product{id: streamID[len("product-"):], holds: map[string]int32{}, committed: map[string]bool{}, returned: map[string]bool{}}
}

// CreateProduct records a new product. d must be normalised and valid with a non-empty slug
// (Details.Validate); priceMinor must come from ParsePrice. The SKU and the slug are claimed:
// saving fails with es.ErrDuplicate when another product holds either.
func CreateProduct(id string, d Details, priceMinor int64, currency string, stock int32, now time.Time) (*Product, error) {
	p := NewProduct(ProductStream(id))
	d.Images = p.resolveImages(d.Images) // all given by URL
	var v errs.Validation
	d.Validate(&v)
	if d.Slug == "" {
		v.Add("slug", "is required")
	}
	if priceMinor <= 0 || priceMinor > MaxPriceMinor {
		v.Add("price", "must be greater than 0")
	}
	if err := ValidateStock("stock", int64(stock)); err != nil {
		v.Violations = append(v.Violations, err.(*errs.Validation).Violations...)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := money.Check(currency); err != nil {
		return nil, err
	}
	p.Claim(ScopeSKU, SKUKey(d.SKU))
	p.Claim(ScopeSlug, d.Slug)
	p.record(&catalogv1.ProductCreated{
		ProductId: id, Sku: d.SKU, Name: d.Name, Slug: d.Slug, Description: d.Description, Category: d.Category,
		Brand: d.Brand, PriceMinor: priceMinor, Currency: currency, Specs: specsPB(d.Specs), Images: imagesPB(d.Images),
		OnHand: stock, Available: stock, CreatedAt: now.UnixMicro(),
	})
	return p, nil
}

// Getters.
func (p *Product) ID() string           { return p.id }
func (p *Product) Details() Details     { return p.details }
func (p *Product) PriceMinor() int64    { return p.priceMinor }
func (p *Product) Currency() string     { return p.currency }
func (p *Product) OnHand() int32        { return p.onHand }
func (p *Product) Reserved() int32      { return p.reserved }
func (p *Product) Available() int32     { return p.onHand - p.reserved }
func (p *Product) Deleted() bool        { return p.deleted }
func (p *Product) CreatedAt() time.Time { return p.createdAt }
func (p *Product) UpdatedAt() time.Time { return p.updatedAt }

// Status is "active" or "deleted".
func (p *Product) Status() string {
	if p.deleted {
		return StatusDeleted
	}
	return StatusActive
}

// Hold returns the units held for an order.
func (p *Product) Hold(orderID string) int32 { return p.holds[orderID] }

// StreamID implements aggregate.Root.
func (p *Product) StreamID() string { return ProductStream(p.id) }

// UpdateDetails replaces the descriptive fields. d must be normalised and valid; an empty
// d.Slug keeps the current slug. A changed SKU or slug is claimed and the old one released.
func (p *Product) UpdateDetails(d Details, now time.Time) error {
	if p.deleted {
		return ErrProductDeleted
	}
	d.Images = p.resolveImages(d.Images)
	var v errs.Validation
	d.Validate(&v)
	if err := v.Err(); err != nil {
		return err
	}
	if d.Slug == "" {
		d.Slug = p.details.Slug
	}
	old := p.details
	var changed []string
	if d.SKU != old.SKU {
		changed = append(changed, "sku")
		if SKUKey(d.SKU) != SKUKey(old.SKU) {
			p.Release(ScopeSKU, SKUKey(old.SKU))
			p.Claim(ScopeSKU, SKUKey(d.SKU))
		}
	}
	if d.Name != old.Name {
		changed = append(changed, "name")
	}
	if d.Slug != old.Slug {
		changed = append(changed, "slug")
		p.Release(ScopeSlug, old.Slug)
		p.Claim(ScopeSlug, d.Slug)
	}
	if d.Description != old.Description {
		changed = append(changed, "description")
	}
	if d.Category != old.Category {
		changed = append(changed, "category")
	}
	if d.Brand != old.Brand {
		changed = append(changed, "brand")
	}
	if !slices.Equal(d.Specs, old.Specs) {
		changed = append(changed, "specs")
	}
	if !slices.EqualFunc(d.Images, old.Images, Image.equal) {
		changed = append(changed, "images")
	}
	if len(changed) == 0 {
		return nil
	}
	p.record(&catalogv1.ProductDetailsUpdated{
		ProductId: p.id, Sku: d.SKU, Name: d.Name, Slug: d.Slug, Description: d.Description, Category: d.Category,
		Brand: d.Brand, Specs: specsPB(d.Specs), Images: imagesPB(d.Images), Changed: changed, UpdatedAt: now.UnixMicro(),
	})
	return nil
}

// ChangePrice sets a new price (minor units of the product's currency, > 0).
func (p *Product) ChangePrice(priceMinor int64, now time.Time) error {
	if p.deleted {
		return ErrProductDeleted
	}
	if priceMinor <= 0 || priceMinor > MaxPriceMinor {
		return errs.Field("price", "must be greater than 0")
	}
	if priceMinor == p.priceMinor {
		return nil
	}
	p.record(&catalogv1.ProductPriceChanged{ProductId: p.id, PriceMinor: priceMinor, Currency: p.currency,
		PreviousPriceMinor: p.priceMinor, ChangedAt: now.UnixMicro()})
	return nil
}

// SetAvailable makes available units to sell: on hand becomes available plus what is held
// for orders, so holds stay covered.
func (p *Product) SetAvailable(available int32, now time.Time) error {
	if p.deleted {
		return ErrProductDeleted
	}
	if err := ValidateStock("stock", int64(available)); err != nil {
		return err
	}
	delta := available - p.Available()
	if delta == 0 {
		return nil
	}
	if int64(p.onHand)+int64(delta) > MaxStock+int64(p.reserved) {
		return errs.Field("stock", fmt.Sprintf("must be between 0 and %d", MaxStock))
	}
	p.record(&catalogv1.StockAdjusted{ProductId: p.id, Delta: delta, Reason: ReasonSetByAdmin,
		OnHand: p.onHand + delta, Available: available, AdjustedAt: now.UnixMicro()})
	return nil
}

// Delete takes the product off the storefront. Deleting a deleted product changes nothing.
// The SKU and slug stay claimed (docs/decisions/010-catalog.md).
func (p *Product) Delete(now time.Time) {
	if !p.deleted {
		p.record(&catalogv1.ProductDeleted{ProductId: p.id, DeletedAt: now.UnixMicro()})
	}
}

// Restore puts a deleted product back on the storefront.
func (p *Product) Restore(now time.Time) {
	if p.deleted {
		p.record(&catalogv1.ProductRestored{ProductId: p.id, RestoredAt: now.UnixMicro()})
	}
}

// Reserve holds quantity units for an order. It is idempotent per order: holding what the
// order already holds, or reserving for an order whose hold was already sold, changes
// nothing. It fails with *InsufficientStockError when fewer units are available, and with
// ErrProductUnavailable for a deleted product.
func (p *Product) Reserve(orderID string, quantity int32, now time.Time) error {
	if quantity <= 0 {
		return errs.Field("quantity", "must be greater than 0")
	}
	if p.committed[orderID] {
		return nil
	}
	if held, ok := p.holds[orderID]; ok {
		if held != quantity {
			return ErrHoldMismatch
		}
		return nil
	}
	if p.deleted {
		return ErrProductUnavailable
	}
	if quantity > p.Available() {
		return &InsufficientStockError{ProductID: p.id, SKU: p.details.SKU, Requested: quantity, Available: p.Available()}
	}
	p.record(&catalogv1.StockReserved{ProductId: p.id, OrderId: orderID, Quantity: quantity,
		OnHand: p.onHand, Available: p.Available() - quantity, ReservedAt: now.UnixMicro()})
	return nil
}

// ReleaseHold returns an order's held units to available. Without a hold it changes nothing.
func (p *Product) ReleaseHold(orderID string, now time.Time) {
	if held, ok := p.holds[orderID]; ok {
		p.record(&catalogv1.StockReservationReleased{ProductId: p.id, OrderId: orderID, Quantity: held,
			OnHand: p.onHand, Available: p.Available() + held, ReleasedAt: now.UnixMicro()})
	}
}

// CommitHold sells an order's held units: they leave the stock on hand. Without a hold it
// changes nothing (already committed, or the Reservation says the order never held any).
func (p *Product) CommitHold(orderID string, now time.Time) {
	if held, ok := p.holds[orderID]; ok {
		p.record(&catalogv1.StockReservationCommitted{ProductId: p.id, OrderId: orderID, Quantity: held,
			OnHand: p.onHand - held, Available: p.Available(), CommittedAt: now.UnixMicro()})
	}
}

// Restock puts quantity units of a returned order back on hand, once per order; an order
// whose units were never sold here changes nothing.
func (p *Product) Restock(orderID string, quantity int32, now time.Time) {
	if !p.committed[orderID] || p.returned[orderID] || quantity <= 0 {
		return
	}
	p.record(&catalogv1.StockAdjusted{ProductId: p.id, Delta: quantity, Reason: ReasonReturned, OrderId: orderID,
		OnHand: p.onHand + quantity, Available: p.Available() + quantity, AdjustedAt: now.UnixMicro()})
}

func (p *Product) record(e proto.Message) {
	_ = p.Apply(e)
	p.Record(e)
}

// Apply implements aggregate.Root.
func (p *Product) Apply(e proto.Message) error {
	switch e := e.(type) {
	case *catalogv1.ProductCreated:
		p.details = Details{SKU: e.GetSku(), Name: e.GetName(), Slug: e.GetSlug(), Description: e.GetDescription(),
			Category: e.GetCategory(), Brand: e.GetBrand(), Specs: specsOf(e.GetSpecs()), Images: imagesOf(e.GetProductId(), e.GetImages())}
		p.priceMinor, p.currency = e.GetPriceMinor(), e.GetCurrency()
		p.onHand = e.GetOnHand()
		p.createdAt = time.UnixMicro(e.GetCreatedAt()).UTC()
		p.updatedAt = p.createdAt
	case *catalogv1.ProductDetailsUpdated:
		p.details = Details{SKU: e.GetSku(), Name: e.GetName(), Slug: e.GetSlug(), Description: e.GetDescription(),
			Category: e.GetCategory(), Brand: e.GetBrand(), Specs: specsOf(e.GetSpecs()), Images: imagesOf(e.GetProductId(), e.GetImages())}
		p.updatedAt = time.UnixMicro(e.GetUpdatedAt()).UTC()
	case *catalogv1.ProductImageAdded:
		p.details.Images = imagesOf(p.id, e.GetImages())
		p.updatedAt = time.UnixMicro(e.GetAddedAt()).UTC()
	case *catalogv1.ProductImageRemoved:
		p.details.Images = imagesOf(p.id, e.GetImages())
		p.updatedAt = time.UnixMicro(e.GetRemovedAt()).UTC()
	case *catalogv1.ProductPriceChanged:
		p.priceMinor = e.GetPriceMinor()
		p.updatedAt = time.UnixMicro(e.GetChangedAt()).UTC()
	case *catalogv1.StockAdjusted:
		p.onHand = e.GetOnHand()
		if e.GetReason() == ReasonReturned {
			p.returned[e.GetOrderId()] = true
		}
		p.updatedAt = time.UnixMicro(e.GetAdjustedAt()).UTC()
	case *catalogv1.ProductDeleted:
		p.deleted = true
		p.updatedAt = time.UnixMicro(e.GetDeletedAt()).UTC()
	case *catalogv1.ProductRestored:
		p.deleted = false
		p.updatedAt = time.UnixMicro(e.GetRestoredAt()).UTC()
	case *catalogv1.StockReserved:
		p.holds[e.GetOrderId()] = e.GetQuantity()
		p.reserved += e.GetQuantity()
	case *catalogv1.StockReservationReleased:
		p.reserved -= p.holds[e.GetOrderId()]
		delete(p.holds, e.GetOrderId())
	case *catalogv1.StockReservationCommitted:
		held := p.holds[e.GetOrderId()]
		p.reserved -= held
		p.onHand -= held
		delete(p.holds, e.GetOrderId())
		p.committed[e.GetOrderId()] = true
	default:
		return fmt.Errorf("product: unexpected event %T", e)
	}
	return nil
}

func specsPB(specs []Spec) []*catalogv1.ProductSpec {
	out := make([]*catalogv1.ProductSpec, len(specs))
	for i, s := range specs {
		out[i] = &catalogv1.ProductSpec{Key: s.Key, Value: s.Value, Unit: s.Unit}
	}
	return out
}

func specsOf(pb []*catalogv1.ProductSpec) []Spec {
	out := make([]Spec, len(pb))
	for i, s := range pb {
		out[i] = Spec{Key: s.GetKey(), Value: s.GetValue(), Unit: s.GetUnit()}
	}
	return out
}
