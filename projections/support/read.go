package support

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Conversation is a conversation as the read model holds it: its latest message only.
type Conversation struct {
	ID, UserID, Subject, Status string
	MessageCount                int
	Last                        Message
	CreatedAt, UpdatedAt        time.Time
}

// Message is a conversation's latest message.
type Message struct {
	ID                     string
	Sequence               int32
	AuthorRole, AuthorName string
	Text                   string
	CreatedAt              time.Time
}

// ErrNotBuilt means the read model has no active generation yet (the projector has not
// built it): readers answer "unavailable, try again".
var ErrNotBuilt = errors.New("support: read model not built yet")

// Querier is what the reads go through: a pool, a connection or a transaction.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Filter picks the conversations of a list.
type Filter struct {
	// UserID is the owner; empty: everyone's (the staff's view).
	UserID string
	// Status is "open" or "closed"; empty: both.
	Status string
}

// Conversations returns limit of the filter's conversations after offset, newest activity
// first (ties by id), and how many there are in all.
func Conversations(ctx context.Context, q Querier, f Filter, offset, limit int) ([]Conversation, int, error) {
	rows, err := q.Query(ctx, `SELECT id::text, user_id, subject, status, message_count, last_message_id, last_sequence,
			last_author_role, last_author_name, last_text, last_message_at, created_at, updated_at, count(*) OVER ()
		FROM `+Name+`.conversations WHERE ($1 = '' OR user_id = $1) AND ($2 = '' OR status = $2)
		ORDER BY updated_at DESC, id LIMIT $3 OFFSET $4`, f.UserID, f.Status, limit, offset)
	if err != nil {
		return nil, 0, readError(err)
	}
	out := []Conversation{}
	var (
		c     Conversation
		total int
	)
	_, err = pgx.ForEachRow(rows, []any{&c.ID, &c.UserID, &c.Subject, &c.Status, &c.MessageCount, &c.Last.ID, &c.Last.Sequence,
		&c.Last.AuthorRole, &c.Last.AuthorName, &c.Last.Text, &c.Last.CreatedAt, &c.CreatedAt, &c.UpdatedAt, &total}, func() error {
		c.CreatedAt, c.UpdatedAt, c.Last.CreatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC(), c.Last.CreatedAt.UTC()
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, 0, readError(err)
	}
	if len(out) == 0 && offset > 0 {
		// A page past the end still tells the true total.
		n, err := count(ctx, q, f)
		return out, n, err
	}
	return out, total, nil
}

func count(ctx context.Context, q Querier, f Filter) (int, error) {
	rows, err := q.Query(ctx, `SELECT count(*) FROM `+Name+`.conversations WHERE ($1 = '' OR user_id = $1) AND ($2 = '' OR status = $2)`,
		f.UserID, f.Status)
	if err != nil {
		return 0, readError(err)
	}
	n, err := pgx.CollectExactlyOneRow(rows, pgx.RowTo[int])
	if err != nil {
		return 0, readError(err)
	}
	return n, nil
}

// readError turns "the view does not exist" into ErrNotBuilt; other errors are wrapped.
func readError(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "42P01" || pgErr.Code == "3F000") {
		return fmt.Errorf("%w: %v", ErrNotBuilt, err)
	}
	return fmt.Errorf("read conversations: %w", err)
}
