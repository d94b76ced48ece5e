package adapters

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/storefront/storefront/platform/jwtauth"
	"github.com/storefront/storefront/platform/pgmigrate"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations returns identity's own tables (beside its event store) in schema.
func Migrations(schema string) pgmigrate.Set {
	return pgmigrate.Embedded("identity", schema, migrationFiles, "migrations")
}

// Keys signs access tokens with the newest Ed25519 key in the signing_keys table and rotates
// it: Rotate makes a new key when the newest is older than the rotation period, and retires the
// previous one once every token it signed has expired. Replicas share the table; a
// transaction-level advisory lock keeps them from rotating twice.
type Keys struct {
	pool     *pgxpool.Pool
	schema   string
	rotation time.Duration
	tokenTTL time.Duration

	mu      sync.RWMutex
	current jwtauth.Key
	jwks    []byte
}

// NewKeys loads the keys, creating the first one if there is none.
func NewKeys(ctx context.Context, pool *pgxpool.Pool, schema string, rotation, tokenTTL time.Duration) (*Keys, error) {
	k := &Keys{pool: pool, schema: schema, rotation: rotation, tokenTTL: tokenTTL}
	if err := k.Rotate(ctx, time.Now()); err != nil {
		return nil, err
	}
	return k, nil
}

// Rotate makes a new signing key when due and reloads the set. Call it periodically.
func (k *Keys) Rotate(ctx context.Context, now time.Time) error {
	table := pgx.Identifier{k.schema, "signing_keys"}.Sanitize()
	err := pgx.BeginFunc(ctx, k.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, k.schema+".signing_keys"); err != nil {
			return err
		}
		var newest *time.Time
		if err := tx.QueryRow(ctx, `SELECT max(created_at) FROM `+table).Scan(&newest); err != nil {
			return err
		}
		if newest != nil && now.Sub(*newest) < k.rotation {
			return nil
		}
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return err
		}
		// The previous key signs no more; keep it published until its tokens have expired.
		if _, err := tx.Exec(ctx, `UPDATE `+table+` SET retire_after = $1 WHERE retire_after IS NULL`, now.Add(k.tokenTTL+time.Minute)); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO `+table+` (kid, private_key, created_at) VALUES ($1, $2, $3)`,
			uuid.Must(uuid.NewV7()).String(), []byte(priv), now)
		return err
	})
	if err != nil {
		return fmt.Errorf("rotate signing keys: %w", err)
	}
	return k.load(ctx, now)
}

func (k *Keys) load(ctx context.Context, now time.Time) error {
	table := pgx.Identifier{k.schema, "signing_keys"}.Sanitize()
	rows, err := k.pool.Query(ctx, `SELECT kid, private_key FROM `+table+
		` WHERE retire_after IS NULL OR retire_after > $1 ORDER BY created_at DESC`, now)
	if err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	keys, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (jwtauth.Key, error) {
		var key jwtauth.Key
		var priv []byte
		err := r.Scan(&key.ID, &priv)
		key.Private = ed25519.PrivateKey(priv)
		return key, err
	})
	if err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	if len(keys) == 0 {
		return errors.New("no signing key")
	}
	var set jwtauth.JWKS
	for _, key := range keys {
		set.Keys = append(set.Keys, jwtauth.PublicJWK(key))
	}
	doc, err := json.Marshal(set)
	if err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.current, k.jwks = keys[0], doc
	return nil
}

// Issue implements app.AccessTokens.
func (k *Keys) Issue(userID, role, sessionID string, sessionStart, now time.Time) (string, error) {
	k.mu.RLock()
	key := k.current
	k.mu.RUnlock()
	return jwtauth.Sign(key, jwtauth.Claims{UserID: userID, Role: role, SessionID: sessionID, SessionStart: sessionStart,
		IssuedAt: now, ExpiresAt: now.Add(k.tokenTTL)})
}

// JWKS implements app.AccessTokens.
func (k *Keys) JWKS(context.Context) ([]byte, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.jwks, nil
}
