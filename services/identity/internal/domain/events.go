package domain

import (
	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/events"
	identityv1 "github.com/storefront/storefront/proto/storefront/identity/v1"
)

// Events is the identity context's event catalogue (identityv1.Events, next to the messages).
func Events() []proto.Message { return identityv1.Events() }

// PrivateEventTypes names the events the relay must not publish.
func PrivateEventTypes() []string { return events.TypeNames(identityv1.PrivateEvents()...) }

// Registry returns a registry of Events.
func Registry() *events.Registry { return events.NewRegistry().Register(Events()...) }
