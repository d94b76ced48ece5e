package reviewsv1

import "google.golang.org/protobuf/proto"

// The reviews context's event catalogue, next to the messages. Every event of the context is
// public. services/reviews' domain tests check it against events.proto.

// Events returns every event of the reviews context.
func Events() []proto.Message {
	return []proto.Message{&ProductReviewed{}, &ReviewEdited{}, &ReviewRemoved{}, &ReviewPurchaseVerified{}}
}
