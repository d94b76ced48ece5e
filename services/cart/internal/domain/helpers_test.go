package domain

import (
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/storefront/storefront/platform/es"
)

// esEvent is a stored event of the named type with an empty payload.
func esEvent(t *testing.T, name protoreflect.FullName) es.RecordedEvent {
	t.Helper()
	if _, err := protoregistry.GlobalTypes.FindMessageByName(name); err != nil {
		t.Fatal(err)
	}
	return es.RecordedEvent{Type: string(name), SchemaVersion: 1, StreamID: "cart-x", Version: 1}
}
