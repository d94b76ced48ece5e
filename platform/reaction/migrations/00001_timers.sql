-- Durable timers of the reactions of one context, in that context's schema (pgmigrate sets
-- the search_path). A timer is derived from the event that set its deadline (its id is
-- that event's id, or derived from it), so scheduling is idempotent; it fires after any
-- restart, and a fired timer's row goes in the transaction that saw its handler succeed.

-- +goose Up
CREATE TABLE reaction_timers (
    id         uuid PRIMARY KEY,
    kind       text NOT NULL,
    key        text NOT NULL,
    due_at     timestamptz NOT NULL,
    payload    bytea NOT NULL,
    attempts   integer NOT NULL DEFAULT 0,
    last_error text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reaction_timers_due ON reaction_timers (due_at);

-- +goose Down
DROP TABLE reaction_timers;
