package adapters

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/pgmigrate"
	orderingv1 "github.com/storefront/storefront/proto/storefront/ordering/v1"
	"github.com/storefront/storefront/services/notifications/internal/app"
	"github.com/storefront/storefront/services/notifications/internal/domain"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the notifier's tables, in schema.
func Migrations(schema string) pgmigrate.Set {
	return pgmigrate.Embedded("notifications", schema, migrations, "migrations")
}

// Store is the notifier's records in its schema.
type Store struct {
	Pool   *pgxpool.Pool
	Schema string
}

var _ app.Store = Store{}

func (s Store) table(name string) string { return pgx.Identifier{s.Schema, name}.Sanitize() }

// SaveRecipient implements app.Store.
func (s Store) SaveRecipient(ctx context.Context, r domain.Recipient, version int64) error {
	_, err := s.Pool.Exec(ctx, `INSERT INTO `+s.table("recipients")+` AS r (user_id, email, name, name_version) VALUES ($1, $2, $3, $4)
		ON CONFLICT (user_id) DO UPDATE SET
			email = CASE WHEN excluded.email <> '' THEN excluded.email ELSE r.email END,
			name = CASE WHEN excluded.name_version > r.name_version THEN excluded.name ELSE r.name END,
			name_version = greatest(r.name_version, excluded.name_version)`, r.UserID, r.Email, r.Name, version)
	return err
}

// Recipient implements app.Store.
func (s Store) Recipient(ctx context.Context, userID string) (domain.Recipient, bool, error) {
	r := domain.Recipient{UserID: userID}
	err := s.Pool.QueryRow(ctx, `SELECT email, name FROM `+s.table("recipients")+` WHERE user_id = $1`, userID).Scan(&r.Email, &r.Name)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, false, nil
	}
	return r, err == nil && r.Email != "", err
}

// SaveOrder implements app.Store.
func (s Store) SaveOrder(ctx context.Context, e *orderingv1.OrderPlaced) error {
	raw, err := proto.Marshal(e)
	if err != nil {
		return err
	}
	_, err = s.Pool.Exec(ctx, `INSERT INTO `+s.table("orders")+` (order_id, user_id, placed) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		e.GetOrderId(), e.GetUserId(), raw)
	return err
}

// Order implements app.Store.
func (s Store) Order(ctx context.Context, orderID string) (*orderingv1.OrderPlaced, bool, error) {
	var raw []byte
	err := s.Pool.QueryRow(ctx, `SELECT placed FROM `+s.table("orders")+` WHERE order_id = $1`, orderID).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	e := &orderingv1.OrderPlaced{}
	if err := proto.Unmarshal(raw, e); err != nil {
		return nil, false, fmt.Errorf("order %s: %w", orderID, err)
	}
	return e, true, nil
}

// Sent implements app.Store.
func (s Store) Sent(ctx context.Context, eventID uuid.UUID) (bool, error) {
	var n int
	err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM `+s.table("sent")+` WHERE event_id = $1`, eventID).Scan(&n)
	return n > 0, err
}

// RecordSent implements app.Store.
func (s Store) RecordSent(ctx context.Context, eventID uuid.UUID, userID, orderID string, m domain.Mail) error {
	_, err := s.Pool.Exec(ctx, `INSERT INTO `+s.table("sent")+` (event_id, kind, user_id, order_id, to_addr, subject)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event_id) DO NOTHING`, eventID, m.Kind, userID, orderID, m.To, m.Subject)
	return err
}

// Mails implements app.Store.
func (s Store) Mails(ctx context.Context, userID string) ([]app.SentMail, error) {
	rows, err := s.Pool.Query(ctx, `SELECT event_id, kind, to_addr, subject, order_id, sent_at FROM `+s.table("sent")+`
		WHERE user_id = $1 ORDER BY sent_at DESC LIMIT 100`, userID)
	if err != nil {
		return nil, err
	}
	var out []app.SentMail
	var m app.SentMail
	var at time.Time
	_, err = pgx.ForEachRow(rows, []any{&m.EventID, &m.Kind, &m.To, &m.Subject, &m.OrderID, &at}, func() error {
		m.SentAt = at.UTC()
		out = append(out, m)
		return nil
	})
	return out, err
}

// ClaimSupportMail implements app.Store: the claim is one statement, so concurrent handlers
// of one conversation's messages cannot both win it.
func (s Store) ClaimSupportMail(ctx context.Context, c app.SupportClaim) (bool, string, error) {
	var subject string
	err := s.Pool.QueryRow(ctx, `INSERT INTO `+s.table("support_mails")+` AS s (conversation_id, subject, event_id, window_start)
			VALUES ($1, $2, $3, $4)
		ON CONFLICT (conversation_id) DO UPDATE SET event_id = excluded.event_id, window_start = excluded.window_start, mailed = false,
				subject = CASE WHEN excluded.subject <> '' THEN excluded.subject ELSE s.subject END
			WHERE s.event_id <> excluded.event_id AND s.window_start <= excluded.window_start - make_interval(secs => $5)
		RETURNING subject`, c.ConversationID, c.Subject, c.EventID, c.At, c.Window.Seconds()).Scan(&subject)
	if err == nil {
		return true, subject, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return false, "", err
	}
	// Not a new claim: the event's own claim when it is redelivered before its mail went out.
	var owner uuid.UUID
	var mailed bool
	if err := s.Pool.QueryRow(ctx, `SELECT event_id, mailed, subject FROM `+s.table("support_mails")+` WHERE conversation_id = $1`,
		c.ConversationID).Scan(&owner, &mailed, &subject); err != nil {
		return false, "", err
	}
	return owner == c.EventID && !mailed, subject, nil
}

// SupportMailed implements app.Store.
func (s Store) SupportMailed(ctx context.Context, conversationID string, eventID uuid.UUID) error {
	_, err := s.Pool.Exec(ctx, `UPDATE `+s.table("support_mails")+` SET mailed = true WHERE conversation_id = $1 AND event_id = $2`,
		conversationID, eventID)
	return err
}
