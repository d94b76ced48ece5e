package domain

import (
	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/events"
	supportv1 "github.com/storefront/storefront/proto/storefront/support/v1"
)

// Events is the support context's event catalogue (supportv1.Events, next to the messages):
// all of them are public.
func Events() []proto.Message { return supportv1.Events() }

// Registry returns a registry of Events.
func Registry() *events.Registry { return events.NewRegistry().Register(Events()...) }
