package aggregate

import (
	"context"
	"fmt"
	"sync"

	"github.com/google/uuid"
)

// Reactions to other contexts' events (package reaction) must have their effect once, however
// often the event is delivered. A context marked with CausedBy gives every event that Save
// appends under it an id derived from the cause, the stream, which save of that stream this
// is while handling the cause, and the event's place in the save. A repeated handling of the
// same cause that makes the same saves appends the same ids, which the event store refuses
// (es.ErrDuplicateEventID): Save then reports ErrAlreadySaved, and the effect stays the one
// of the first handling; Update and UpdateOrNew report success with the aggregate as stored,
// so that a handler goes on to its next step. The saves of one stream within one handling
// must be made one after the other (not concurrently): their order numbers the ids.

// ErrAlreadySaved means a caused save found its events already in the store: an earlier
// handling of the same cause made it. The aggregate in memory is stale; reload it to go on.
var ErrAlreadySaved = fmt.Errorf("aggregate: already saved for this cause")

type causeKey struct{}

// cause is the derivation state of one handling.
type cause struct {
	id uuid.UUID
	mu sync.Mutex
	n  map[string]int // stream → saves made so far
}

// CausedBy returns ctx marked as handling the event (or timer) with the id: saves under it
// get derived event ids. Mark each handling (each delivery) afresh.
func CausedBy(ctx context.Context, id uuid.UUID) context.Context {
	return context.WithValue(ctx, causeKey{}, &cause{id: id, n: map[string]int{}})
}

// eventIDs returns the ids of the next save of stream under ctx's cause (nil without one),
// and done, to call once that save is in the store: a save refused for a conflict is tried
// again with the same ids, so that the count of saves does not depend on the conflicts of
// one handling.
func eventIDs(ctx context.Context, stream string, n int) (ids []uuid.UUID, done func()) {
	c, _ := ctx.Value(causeKey{}).(*cause)
	if c == nil {
		return nil, func() {}
	}
	c.mu.Lock()
	save := c.n[stream]
	c.mu.Unlock()
	ids = make([]uuid.UUID, n)
	for i := range ids {
		ids[i] = uuid.NewSHA1(c.id, fmt.Appendf(nil, "%s/%d/%d", stream, save, i))
	}
	return ids, func() {
		c.mu.Lock()
		c.n[stream] = save + 1
		c.mu.Unlock()
	}
}
