package paymentsv1

import "google.golang.org/protobuf/proto"

// The payments context's event catalogue, next to the messages. Every event of the context
// is public (notifications and the ordering saga may react to them). services/payments'
// domain tests check it against events.proto.

// Events returns every event of the payments context.
func Events() []proto.Message {
	return []proto.Message{
		&PaymentRequested{}, &PaymentProcessed{}, &PaymentDeclined{}, &PaymentActionRequired{}, &PaymentExpired{},
		&RefundRequested{}, &RefundIssued{}, &RefundFailed{}, &ProviderEventReceived{},
	}
}
