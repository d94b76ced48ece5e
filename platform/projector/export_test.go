package projector

import (
	"context"

	"github.com/storefront/storefront/platform/es"
)

// SetAfterCommit installs a hook that runs after a live batch commits and before its
// messages are acknowledged; an error stops the consumer (and Run) without acknowledging,
// as a crash at that point would.
func SetAfterCommit(r *Runtime, f func(projection string) error) { r.afterCommit = f }

// SetAfterRead installs a hook that runs after an optimistic live batch has read its stream
// records and before it applies its events: a test makes another consumer commit there.
func SetAfterRead(r *Runtime, f func()) { r.afterRead = f }

// SetPredict turns the prediction of stream records in live batches on or off (on by
// default); off, an optimistic batch always reads them.
func SetPredict(r *Runtime, on bool) { r.predict = on }

// BatchRetriedMetric counts live batches rolled back and redone, by reason.
const BatchRetriedMetric = "projector.batches.retried"

// ApplyLiveBatch applies evs as one live batch of the named projection, as the consumer
// would apply messages carrying them (first delivery), with or without predicting the
// stream records.
func ApplyLiveBatch(ctx context.Context, r *Runtime, name string, predict bool, evs ...es.RecordedEvent) error {
	r.predict = predict
	items := make([]*item, len(evs))
	for i, ev := range evs {
		items[i] = &item{ev: ev, ctx: ctx, delivered: 1}
	}
	return r.applyLive(ctx, r.byName[name], items, func() {}, &predictor{})
}
