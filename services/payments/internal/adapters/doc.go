// Package adapters connects the payments context to its providers: Stripe through
// stripe-go (PaymentIntents and Refunds, every call with the idempotency key of its step).
package adapters
