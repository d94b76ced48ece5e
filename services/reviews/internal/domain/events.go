package domain

import (
	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/events"
	reviewsv1 "github.com/storefront/storefront/proto/storefront/reviews/v1"
)

// Events is the reviews context's event catalogue (reviewsv1.Events, next to the messages):
// all of them are public.
func Events() []proto.Message { return reviewsv1.Events() }

// Registry returns a registry of Events.
func Registry() *events.Registry { return events.NewRegistry().Register(Events()...) }
