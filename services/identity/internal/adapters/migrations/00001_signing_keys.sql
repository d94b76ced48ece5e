-- +goose Up
-- Ed25519 keys that sign access tokens. Not domain state: infrastructure, like checkpoints.
-- A key signs from created_at until the next key is created; it stays in the JWKS until
-- retire_after (its last token has expired by then).
CREATE TABLE signing_keys (
    kid          text PRIMARY KEY,
    private_key  bytea       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    retire_after timestamptz
);

-- +goose Down
DROP TABLE signing_keys;
