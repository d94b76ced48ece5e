-- The notifier's own records, in its schema (pgmigrate sets the search_path): who the
-- customers are (from identity's events), what their orders hold (from OrderPlaced), and
-- which events' mails were sent — the idempotency record that makes a redelivered event
-- send nothing.

-- +goose Up
CREATE TABLE recipients (
    user_id      text PRIMARY KEY,
    email        text NOT NULL DEFAULT '',
    name         text NOT NULL DEFAULT '',
    -- The identity stream's version the name was taken from: an older event never
    -- overwrites a newer name.
    name_version bigint NOT NULL DEFAULT 0
);

CREATE TABLE orders (
    order_id text PRIMARY KEY,
    user_id  text NOT NULL,
    -- The OrderPlaced event (protobuf).
    placed   bytea NOT NULL
);

CREATE TABLE sent (
    event_id uuid PRIMARY KEY,
    kind     text NOT NULL,
    user_id  text NOT NULL,
    order_id text NOT NULL,
    to_addr  text NOT NULL,
    subject  text NOT NULL,
    sent_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sent_by_user ON sent (user_id, sent_at DESC);

-- +goose Down
DROP TABLE sent;
DROP TABLE orders;
DROP TABLE recipients;
