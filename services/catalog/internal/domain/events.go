package domain

import (
	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/events"
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
)

// Events is the catalog context's event catalogue (catalogv1.Events, next to the messages).
func Events() []proto.Message { return catalogv1.Events() }

// PrivateEventTypes names the events the relay must not publish.
func PrivateEventTypes() []string { return events.TypeNames(catalogv1.PrivateEvents()...) }

// Registry returns a registry of Events.
func Registry() *events.Registry { return events.NewRegistry().Register(Events()...) }
