package domain

import (
	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/events"
	operationsv1 "github.com/storefront/storefront/proto/storefront/operations/v1"
)

// Events is the operations context's event catalogue (operationsv1.Events): all public.
func Events() []proto.Message { return operationsv1.Events() }

// Registry returns a registry of Events.
func Registry() *events.Registry { return events.NewRegistry().Register(Events()...) }
