package identityv1

import "google.golang.org/protobuf/proto"

// The identity context's event catalogue, next to the messages: every event its aggregates
// record (Events), and those that stay inside the context (PrivateEvents: they hold secrets —
// password and token hashes — or matter only there). services/identity's domain tests check
// it against events.proto.

// Events returns every event of the identity context.
func Events() []proto.Message { return append(PublicEvents(), PrivateEvents()...) }

// PublicEvents returns the events the relay publishes to other contexts.
func PublicEvents() []proto.Message {
	return []proto.Message{&UserRegistered{}, &ProfileUpdated{}, &AddressAdded{}, &AddressRemoved{}, &RoleChanged{}}
}

// PrivateEvents returns the events that never leave the identity context.
func PrivateEvents() []proto.Message {
	return []proto.Message{&PasswordSet{}, &PasswordResetRequested{}, &SessionStarted{}, &SessionRefreshed{}, &SessionRevoked{}}
}
