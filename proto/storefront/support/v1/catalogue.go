package supportv1

import "google.golang.org/protobuf/proto"

// The support context's event catalogue, next to the messages. Every event of the context is
// public. services/support's domain tests check it against events.proto.

// Events returns every event of the support context.
func Events() []proto.Message {
	return []proto.Message{&ConversationStarted{}, &MessagePosted{}, &ConversationClosed{}}
}
