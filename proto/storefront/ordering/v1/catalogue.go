package orderingv1

import "google.golang.org/protobuf/proto"

// The ordering context's event catalogue, next to the messages. Every event of the context
// is public: the checkout saga reacts to its own events through JetStream, and reviews and
// notifications to orders'. services/ordering's domain tests check it against events.proto.

// Events returns every event of the ordering context.
func Events() []proto.Message {
	return []proto.Message{
		&OrderPlaced{}, &OrderPlacementAbandoned{}, &OrderCartCheckedOut{},
		&StockReserved{}, &StockReservationFailed{},
		&PaymentRequested{}, &PaymentAwaitingCustomer{}, &OrderPaid{},
		&OrderCancelled{}, &StockReleased{}, &OrderCompensated{},
		&OrderShipped{}, &StockCommitted{}, &OrderDelivered{},
		&ReturnRequested{}, &OrderReturned{}, &StockRestocked{},
		&RefundRequested{}, &RefundIssued{},
		&DiscountCreated{}, &DiscountRedeemed{}, &DiscountRedemptionReleased{},
	}
}
