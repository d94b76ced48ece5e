package adapters

import (
	"context"
	"fmt"
	"sync"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/services/identity/internal/domain"
)

// maxCachedAccounts bounds the cache; past it, an arbitrary entry makes room.
const maxCachedAccounts = 20000

// CachedAccounts serves the queries' reads of users (app.Accounts) from memory, checked
// against the event store on every read: one indexed query for an event after the cached
// version, which finds none unless the account changed. Only then is the stream loaded again.
// Every read therefore sees every write committed before it, made through any replica
// (read-your-writes), without decoding the stream each time.
//
// Safe for concurrent use.
type CachedAccounts struct {
	users  *aggregate.Store[*domain.User]
	events es.StreamReader

	mu      sync.Mutex
	entries map[string]*domain.User // stream id → the user at its Version()
}

// NewCachedAccounts returns an empty cache over the users' store and the event store that
// holds their streams.
func NewCachedAccounts(users *aggregate.Store[*domain.User], events es.StreamReader) *CachedAccounts {
	return &CachedAccounts{users: users, events: events, entries: map[string]*domain.User{}}
}

// Account implements app.Accounts.
func (c *CachedAccounts) Account(ctx context.Context, userID string) (*domain.User, error) {
	stream := domain.UserStream(userID)
	c.mu.Lock()
	cached := c.entries[stream]
	c.mu.Unlock()
	if cached != nil {
		newer, err := c.events.ReadStream(ctx, stream, cached.Version()+1, 1)
		if err != nil {
			return nil, fmt.Errorf("check %s for changes: %w", stream, err)
		}
		if len(newer) == 0 {
			return cached.Clone(), nil
		}
	}
	u, err := c.users.Load(ctx, stream)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if old := c.entries[stream]; old == nil || old.Version() < u.Version() {
		if old == nil && len(c.entries) >= maxCachedAccounts {
			for k := range c.entries {
				delete(c.entries, k)
				break
			}
		}
		c.entries[stream] = u
	}
	c.mu.Unlock()
	return u.Clone(), nil
}
