package domain

import (
	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/events"
	contentv1 "github.com/storefront/storefront/proto/storefront/content/v1"
)

// Events is the content context's event catalogue (contentv1.Events, next to the messages).
func Events() []proto.Message { return contentv1.Events() }

// Registry returns a registry of Events.
func Registry() *events.Registry { return events.NewRegistry().Register(Events()...) }
