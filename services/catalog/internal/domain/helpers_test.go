package domain

import (
	"context"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/es/memstore"
	"github.com/storefront/storefront/platform/events"
)

// capture is an es.Store that records the events, claims and releases of each append.
type capture struct {
	es.Store
	rec *recordingStore
	reg *events.Registry
}

func (c capture) Append(ctx context.Context, stream string, expected es.ExpectedVersion, data []es.EventData, opts ...es.AppendOption) (es.AppendResult, error) {
	var o es.AppendOptions
	for _, opt := range opts {
		opt(&o)
	}
	c.rec.claims = append(c.rec.claims, o.Claims...)
	c.rec.releases = append(c.rec.releases, o.Releases...)
	for _, d := range data {
		m, err := c.reg.Decode(es.RecordedEvent{Type: d.Type, SchemaVersion: d.SchemaVersion, Payload: d.Payload})
		if err != nil {
			return es.AppendResult{}, err
		}
		c.rec.events = append(c.rec.events, m)
	}
	return c.Store.Append(ctx, stream, expected, data, opts...)
}

// saveWith saves the product's pending changes through aggregate.Store into rec.
func saveWith(rec *recordingStore, p *Product) error {
	reg := Registry()
	s := aggregate.NewStore(capture{Store: memstore.New(), rec: rec, reg: reg}, reg, NewProduct)
	return s.Save(context.Background(), p)
}
