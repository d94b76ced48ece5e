package domain

import (
	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/events"
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
)

// Events is the catalog context's event catalogue: every event its aggregates record. main,
// the tests and the relay's private types use it; a test checks it against the messages of
// proto/storefront/catalog/v1/events.proto.
func Events() []proto.Message {
	return append([]proto.Message{
		&catalogv1.ProductCreated{}, &catalogv1.ProductDetailsUpdated{}, &catalogv1.ProductPriceChanged{},
		&catalogv1.StockAdjusted{}, &catalogv1.ProductDeleted{}, &catalogv1.ProductRestored{},
		&catalogv1.StockReserved{}, &catalogv1.StockReservationReleased{}, &catalogv1.StockReservationCommitted{},
		&catalogv1.CategoryCreated{},
	}, privateEvents()...)
}

// privateEvents matter only inside the catalog: an order's reservation record. Other contexts
// learn about stock from the product events (StockReserved, ...).
func privateEvents() []proto.Message {
	return []proto.Message{
		&catalogv1.OrderReservationRequested{}, &catalogv1.OrderReservationConfirmed{}, &catalogv1.OrderReservationRejected{},
		&catalogv1.OrderReservationReleased{}, &catalogv1.OrderReservationCommitted{},
	}
}

// PrivateEventTypes names the events the relay must not publish.
func PrivateEventTypes() []string {
	var out []string
	for _, m := range privateEvents() {
		out = append(out, string(m.ProtoReflect().Descriptor().FullName()))
	}
	return out
}

// Registry returns a registry of Events.
func Registry() *events.Registry { return events.NewRegistry().Register(Events()...) }
