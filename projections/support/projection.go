package support

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/events"
	"github.com/storefront/storefront/platform/projector"
	supportv1 "github.com/storefront/storefront/proto/storefront/support/v1"
)

// Name is the projection's name, and so the read schema whose view Conversations reads.
const Name = "support"

// Context is the bounded context whose events the projection reads.
const Context = "support"

// Projection is the support read model, a projector.BatchProjection whose ApplyBatch queues
// the same statement per event as Apply, in one pipelined round trip.
type Projection struct {
	context  string
	registry *events.Registry
}

var _ projector.BatchProjection = (*Projection)(nil)

// New returns the projection over the support context's events.
func New() *Projection { return NewForContext(Context) }

// NewForContext returns the projection reading the support events from the bounded context
// named c: tests run it on their own prefixed JetStream streams.
func NewForContext(c string) *Projection {
	return &Projection{context: c, registry: events.NewRegistry().Register(supportv1.Events()...)}
}

// Name implements projector.Projection.
func (p *Projection) Name() string { return Name }

// Contexts implements projector.Projection.
func (p *Projection) Contexts() []string { return []string{p.context} }

// DDL implements projector.Projection. Readers page conversations newest activity first,
// ties broken by id: one customer's, or everyone's, optionally of one status.
func (p *Projection) DDL(string) string {
	return `
CREATE TABLE conversations (
    id               uuid PRIMARY KEY,
    user_id          text NOT NULL,
    subject          text NOT NULL,
    status           text NOT NULL CHECK (status IN ('open', 'closed')),
    message_count    integer NOT NULL,
    last_message_id  text NOT NULL,
    last_sequence    integer NOT NULL,
    last_author_role text NOT NULL,
    last_author_name text NOT NULL,
    last_text        text NOT NULL,
    last_message_at  timestamptz NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX conversations_of_user ON conversations (user_id, updated_at DESC, id);
CREATE INDEX conversations_by_activity ON conversations (updated_at DESC, id);
`
}

// Apply implements projector.Projection.
func (p *Projection) Apply(ctx context.Context, tx pgx.Tx, schema string, ev es.RecordedEvent) error {
	return p.ApplyBatch(ctx, tx, schema, []es.RecordedEvent{ev})
}

// ApplyBatch implements projector.BatchProjection: one statement per event, in order, sent
// as one pipelined batch. Messages and closes must find their conversation: a missing row is
// an error, never skipped silently. A redelivered message (its sequence not beyond the
// row's) changes nothing.
func (p *Projection) ApplyBatch(ctx context.Context, tx pgx.Tx, schema string, evs []es.RecordedEvent) error {
	b := &pgx.Batch{}
	table := pgx.Identifier{schema, "conversations"}.Sanitize()
	for _, ev := range evs {
		if err := p.queue(b, table, ev); err != nil {
			return err
		}
	}
	if b.Len() == 0 {
		return nil
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("support projection: %w", err)
	}
	return nil
}

func micros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// queue decodes ev and queues its statement.
func (p *Projection) queue(b *pgx.Batch, table string, ev es.RecordedEvent) error {
	m, err := projector.Decode(p.registry, ev)
	if err != nil {
		return fmt.Errorf("support projection: %w", err)
	}
	mustChange := func(id string) func(pgconn.CommandTag) error {
		return func(tag pgconn.CommandTag) error {
			if tag.RowsAffected() != 1 {
				return fmt.Errorf("support projection: event %s (stream %s, version %d) for conversation %s, which the read model lacks",
					ev.ID, ev.StreamID, ev.Version, id)
			}
			return nil
		}
	}
	switch e := m.(type) {
	case *supportv1.ConversationStarted:
		b.Queue(`INSERT INTO `+table+` (id, user_id, subject, status, message_count, last_message_id, last_sequence, last_author_role,
				last_author_name, last_text, last_message_at, created_at, updated_at)
			VALUES ($1, $2, $3, 'open', 1, $4, 1, 'customer', $5, $6, $7, $7, $7)`,
			e.GetConversationId(), e.GetUserId(), e.GetSubject(), e.GetMessageId(), e.GetAuthorName(), e.GetText(), micros(e.GetStartedAt()))
	case *supportv1.MessagePosted:
		// The row exists (mustChange); the sequence guard keeps a message from counting twice.
		b.Queue(`UPDATE `+table+` SET
				message_count = CASE WHEN last_sequence < $2 THEN $2 ELSE message_count END,
				last_message_id = CASE WHEN last_sequence < $2 THEN $3 ELSE last_message_id END,
				last_author_role = CASE WHEN last_sequence < $2 THEN $4 ELSE last_author_role END,
				last_author_name = CASE WHEN last_sequence < $2 THEN $5 ELSE last_author_name END,
				last_text = CASE WHEN last_sequence < $2 THEN $6 ELSE last_text END,
				last_message_at = CASE WHEN last_sequence < $2 THEN $7 ELSE last_message_at END,
				updated_at = greatest(updated_at, $7),
				last_sequence = greatest(last_sequence, $2)
			WHERE id = $1`, e.GetConversationId(), e.GetSequence(), e.GetMessageId(), e.GetAuthorRole(), e.GetAuthorName(),
			e.GetText(), micros(e.GetPostedAt())).Exec(mustChange(e.GetConversationId()))
	case *supportv1.ConversationClosed:
		b.Queue(`UPDATE `+table+` SET status = 'closed', updated_at = greatest(updated_at, $2) WHERE id = $1`,
			e.GetConversationId(), micros(e.GetClosedAt())).Exec(mustChange(e.GetConversationId()))
	default:
		return fmt.Errorf("support projection: no statement for %T", m)
	}
	return nil
}
