package catalogv1

import "google.golang.org/protobuf/proto"

// The catalog context's event catalogue, next to the messages: every event its aggregates
// record (Events), and those that stay inside the context (PrivateEvents: an order's
// reservation record; other contexts learn about stock from the product events). The
// service's registry and relay, its tests and the read models of other modules take their
// lists from here; services/catalog's domain tests check it against events.proto.

// Events returns every event of the catalog context.
func Events() []proto.Message { return append(PublicEvents(), PrivateEvents()...) }

// PublicEvents returns the events the relay publishes to other contexts.
func PublicEvents() []proto.Message {
	return []proto.Message{
		&ProductCreated{}, &ProductDetailsUpdated{}, &ProductPriceChanged{},
		&StockAdjusted{}, &ProductDeleted{}, &ProductRestored{},
		&ProductImageAdded{}, &ProductImageRemoved{},
		&StockReserved{}, &StockReservationReleased{}, &StockReservationCommitted{},
		&CategoryCreated{},
	}
}

// PrivateEvents returns the events that never leave the catalog context.
func PrivateEvents() []proto.Message {
	return []proto.Message{
		&OrderReservationRequested{}, &OrderReservationConfirmed{}, &OrderReservationRejected{},
		&OrderReservationReleased{}, &OrderReservationCommitted{}, &OrderReservationReturned{},
	}
}
