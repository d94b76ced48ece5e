package operationsv1

import "google.golang.org/protobuf/proto"

// The operations context's event catalogue, next to the messages. Every event of the context
// is public: the audit read model lists them.

// Events returns every event of the operations context.
func Events() []proto.Message {
	return []proto.Message{&ProjectionRebuildRequested{}, &DeadLetterRedriveRequested{}, &DeadLetterDiscarded{}}
}
