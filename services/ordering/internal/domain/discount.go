package domain

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/money"
	orderingv1 "github.com/storefront/storefront/proto/storefront/ordering/v1"
)

var (
	// ErrDiscountUnknown is a code that was never created (API.md: unknown code → 400).
	ErrDiscountUnknown = errs.Field("discount_code", "no such discount code")
	// ErrDiscountExists is a code that is taken.
	ErrDiscountExists = fmt.Errorf("%w: a discount with this code exists", errs.AlreadyExists)
	// ErrDiscountNotStarted, ErrDiscountExpired, ErrDiscountUsedUp and
	// ErrDiscountBelowMinimum are known codes that cannot be redeemed now (409).
	ErrDiscountNotStarted = fmt.Errorf("%w: this discount code is not valid yet", errs.FailedPrecondition)
	ErrDiscountExpired    = fmt.Errorf("%w: this discount code has expired", errs.FailedPrecondition)
	ErrDiscountUsedUp     = fmt.Errorf("%w: this discount code has been used up", errs.FailedPrecondition)
)

// BelowMinimumError is a subtotal below the code's minimum.
type BelowMinimumError struct {
	Minimum, Subtotal int64
	Currency          string
}

func (e *BelowMinimumError) Error() string {
	return fmt.Sprintf("this discount code needs a subtotal of at least %s %s (the cart's is %s %s)",
		money.Format(e.Minimum, e.Currency), e.Currency, money.Format(e.Subtotal, e.Currency), e.Currency)
}

// Is makes the error a FailedPrecondition.
func (e *BelowMinimumError) Is(target error) bool { return target == errs.FailedPrecondition }

var codePattern = regexp.MustCompile(`^[A-Z0-9_-]{3,32}$`)

// NormalizeCode upper-cases a code (codes are case-insensitive) and checks its form.
func NormalizeCode(field, code string) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(code))
	if !codePattern.MatchString(c) {
		return "", errs.Field(field, "must be 3 to 32 letters, digits, '-' or '_'")
	}
	return c, nil
}

// DiscountStream is the stream id of a discount code (normalised).
func DiscountStream(code string) string { return "discount-" + code }

// DiscountTerms are a code's terms.
type DiscountTerms struct {
	Code           string
	PercentOff     int32
	AmountOffMinor int64
	MinSubtotal    int64
	Currency       string
	// Zero: unbounded.
	StartsAt, ExpiresAt time.Time
	// 0: unlimited.
	MaxRedemptions int32
}

// Validate checks the terms as API.md gives them.
func (t DiscountTerms) Validate() error {
	var v errs.Validation
	switch {
	case t.PercentOff != 0 && t.AmountOffMinor != 0:
		v.Add("percent_off", "give percent_off or amount_off, not both")
	case t.PercentOff == 0 && t.AmountOffMinor == 0:
		v.Add("percent_off", "give percent_off (1..100) or amount_off (> 0)")
	case t.PercentOff < 0 || t.PercentOff > 100:
		v.Add("percent_off", "must be from 1 to 100")
	case t.AmountOffMinor < 0:
		v.Add("amount_off", "must be greater than 0")
	}
	if t.MinSubtotal < 0 {
		v.Add("min_subtotal", "must not be negative")
	}
	if t.MaxRedemptions < 0 {
		v.Add("max_redemptions", "must not be negative (0 is unlimited)")
	}
	if !t.StartsAt.IsZero() && !t.ExpiresAt.IsZero() && !t.ExpiresAt.After(t.StartsAt) {
		v.Add("expires_at", "must be after starts_at")
	}
	return v.Err()
}

// Amount is the discount on a subtotal: a percentage rounded half up to the minor unit, or
// the fixed amount; never more than the subtotal.
func (t DiscountTerms) Amount(subtotal int64) int64 {
	var d int64
	if t.PercentOff > 0 {
		d = (subtotal*int64(t.PercentOff) + 50) / 100
	} else {
		d = t.AmountOffMinor
	}
	return min(d, subtotal)
}

// Discount is a discount code and the orders that hold its redemptions.
type Discount struct {
	aggregate.Changes
	code      string
	created   bool
	terms     DiscountTerms
	createdAt time.Time
	// redeemed holds each redeeming order's discount.
	redeemed map[string]int64
}

// NewDiscount returns a discount for the stream id, for loading or creating.
func NewDiscount(streamID string) *Discount {
	return &Discount{code: streamID[len("discount-"):], redeemed: map[string]int64{}}
}

// StreamID implements aggregate.Root.
func (d *Discount) StreamID() string { return DiscountStream(d.code) }

// Getters.
func (d *Discount) Code() string         { return d.code }
func (d *Discount) Terms() DiscountTerms { return d.terms }
func (d *Discount) Redemptions() int32   { return int32(len(d.redeemed)) }
func (d *Discount) CreatedAt() time.Time { return d.createdAt }
func (d *Discount) RedeemedBy(orderID string) (int64, bool) {
	a, ok := d.redeemed[orderID]
	return a, ok
}

// Create records a new code.
func (d *Discount) Create(t DiscountTerms, byUserID string, now time.Time) error {
	if d.created || d.Version() > 0 {
		return ErrDiscountExists
	}
	if err := t.Validate(); err != nil {
		return err
	}
	micro := func(t time.Time) int64 {
		if t.IsZero() {
			return 0
		}
		return t.UnixMicro()
	}
	d.record(&orderingv1.DiscountCreated{Code: d.code, PercentOff: t.PercentOff, AmountOffMinor: t.AmountOffMinor,
		MinSubtotalMinor: t.MinSubtotal, Currency: t.Currency, StartsAt: micro(t.StartsAt), ExpiresAt: micro(t.ExpiresAt),
		MaxRedemptions: t.MaxRedemptions, ByUserId: byUserID, CreatedAt: now.UnixMicro()})
	return nil
}

// Quote checks that the code can be redeemed now on the subtotal and returns the discount.
func (d *Discount) Quote(subtotal int64, now time.Time) (int64, error) {
	t := d.terms
	switch {
	case !d.created:
		return 0, ErrDiscountUnknown
	case !t.StartsAt.IsZero() && now.Before(t.StartsAt):
		return 0, ErrDiscountNotStarted
	case !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt):
		return 0, ErrDiscountExpired
	case t.MaxRedemptions > 0 && int32(len(d.redeemed)) >= t.MaxRedemptions:
		return 0, ErrDiscountUsedUp
	case subtotal < t.MinSubtotal:
		return 0, &BelowMinimumError{Minimum: t.MinSubtotal, Subtotal: subtotal, Currency: t.Currency}
	}
	return t.Amount(subtotal), nil
}

// Redeem takes a redemption for the order and returns its discount. A repeated redemption
// for the same order answers with the first one's discount and records nothing.
func (d *Discount) Redeem(orderID string, subtotal int64, now time.Time) (int64, error) {
	if a, ok := d.redeemed[orderID]; ok {
		return a, nil
	}
	a, err := d.Quote(subtotal, now)
	if err != nil {
		return 0, err
	}
	d.record(&orderingv1.DiscountRedeemed{Code: d.code, OrderId: orderID, DiscountMinor: a, RedeemedAt: now.UnixMicro()})
	return a, nil
}

// Release frees the order's redemption (once).
func (d *Discount) Release(orderID string, now time.Time) {
	if _, ok := d.redeemed[orderID]; ok {
		d.record(&orderingv1.DiscountRedemptionReleased{Code: d.code, OrderId: orderID, ReleasedAt: now.UnixMicro()})
	}
}

func (d *Discount) record(e proto.Message) {
	if err := d.Apply(e); err != nil {
		panic(fmt.Sprintf("discount %s: applying its own %T: %v", d.code, e, err))
	}
	d.Record(e)
}

// Apply implements aggregate.Root.
func (d *Discount) Apply(e proto.Message) error {
	at := func(us int64) time.Time {
		if us == 0 {
			return time.Time{}
		}
		return time.UnixMicro(us).UTC()
	}
	switch e := e.(type) {
	case *orderingv1.DiscountCreated:
		d.created = true
		d.terms = DiscountTerms{Code: e.Code, PercentOff: e.PercentOff, AmountOffMinor: e.AmountOffMinor, MinSubtotal: e.MinSubtotalMinor,
			Currency: e.Currency, StartsAt: at(e.StartsAt), ExpiresAt: at(e.ExpiresAt), MaxRedemptions: e.MaxRedemptions}
		d.createdAt = at(e.CreatedAt)
	case *orderingv1.DiscountRedeemed:
		d.redeemed[e.OrderId] = e.DiscountMinor
	case *orderingv1.DiscountRedemptionReleased:
		delete(d.redeemed, e.OrderId)
	default:
		return fmt.Errorf("discount: unknown event %T", e)
	}
	return nil
}
