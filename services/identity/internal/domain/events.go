package domain

import (
	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/events"
	identityv1 "github.com/storefront/storefront/proto/storefront/identity/v1"
)

// Events is the identity context's event catalogue: every event its aggregates record. main,
// the tests and the relay's private types use it; a test checks it against the messages of
// proto/storefront/identity/v1/events.proto.
func Events() []proto.Message {
	return append([]proto.Message{
		&identityv1.UserRegistered{}, &identityv1.ProfileUpdated{}, &identityv1.AddressAdded{}, &identityv1.AddressRemoved{},
		&identityv1.RoleChanged{},
	}, privateEvents()...)
}

// privateEvents hold secrets (password and token hashes) or matter only here: the relay does
// not publish them to other contexts.
func privateEvents() []proto.Message {
	return []proto.Message{
		&identityv1.PasswordSet{}, &identityv1.PasswordResetRequested{},
		&identityv1.SessionStarted{}, &identityv1.SessionRefreshed{}, &identityv1.SessionRevoked{},
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
