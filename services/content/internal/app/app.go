// Package app holds the content context's use cases: one file per group of commands or
// queries, each a small handler over the ports declared here. Commands find a post by its
// slug in the event store's claim index, load it, call its methods and save it; queries read
// the blog read model through PostReader. Handlers know nothing of gRPC or SQL.
package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/services/content/internal/domain"
)

// Owners finds the stream that holds a unique value (a post's slug) in the event store's
// claim index, which is strongly consistent. It returns "" (and no error) when no stream
// holds it.
type Owners interface {
	Owner(ctx context.Context, scope, value string) (string, error)
}

// Authors tells the name of the calling admin, shown as a post's author. It is called only
// when the admin gives no author name; an error is returned to the caller as it is.
type Authors interface {
	CallerName(ctx context.Context) (string, error)
}

// Clock tells the time; tests move it.
type Clock func() time.Time

// Posts loads and saves posts.
type Posts = aggregate.Store[*domain.Post]

// Deps are what the handlers need.
type Deps struct {
	Posts    *Posts
	Owners   Owners
	Authors  Authors
	Reader   PostReader
	Renderer domain.Renderer
	Clock    Clock
	Log      *slog.Logger
}

// Application is the content context's use cases.
type Application struct {
	Commands Commands
	Queries  Queries
}

// Commands change state.
type Commands struct {
	CreatePost    CreatePostHandler
	UpdatePost    UpdatePostHandler
	PublishPost   PublishPostHandler
	UnpublishPost UnpublishPostHandler
	DeletePost    DeletePostHandler
}

// Queries read the blog read model.
type Queries struct {
	ListPosts ListPostsHandler
	GetPost   GetPostHandler
}

// New wires the handlers.
func New(d Deps) Application {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Clock == nil {
		d.Clock = time.Now
	}
	return Application{
		Commands: Commands{
			CreatePost:    CreatePostHandler{d},
			UpdatePost:    UpdatePostHandler{d},
			PublishPost:   PublishPostHandler{d},
			UnpublishPost: UnpublishPostHandler{d},
			DeletePost:    DeletePostHandler{d},
		},
		Queries: Queries{
			ListPosts: ListPostsHandler{d},
			GetPost:   GetPostHandler{d},
		},
	}
}

// newID returns a UUIDv7 string.
func newID() string { return uuid.Must(uuid.NewV7()).String() }
