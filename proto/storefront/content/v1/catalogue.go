package contentv1

import "google.golang.org/protobuf/proto"

// The content context's event catalogue, next to the messages: every event its aggregates
// record. All of them are public. The service's registry, its tests and the blog read model
// (projections/content) take their lists from here; services/content's domain tests check it
// against events.proto.

// Events returns every event of the content context.
func Events() []proto.Message { return PublicEvents() }

// PublicEvents returns the events the relay publishes to other contexts.
func PublicEvents() []proto.Message {
	return []proto.Message{
		&BlogPostCreated{}, &BlogPostEdited{}, &BlogPostPublished{}, &BlogPostUnpublished{}, &BlogPostDeleted{},
	}
}
