-- The relay's progress through the event store of the same schema (pgmigrate sets the
-- search_path). See docs/decisions/003-relay.md.

-- +goose Up
CREATE TABLE relay_checkpoints (
    -- The bounded context whose JetStream stream the relay publishes to.
    relay_name      text PRIMARY KEY,
    -- The es.Position of the last event published, acknowledged and so checkpointed. Only the
    -- leader writes it, through the connection that holds the lease, and it only moves forward.
    tx_id           bigint NOT NULL CHECK (tx_id >= 0),
    global_position bigint NOT NULL CHECK (global_position >= 0),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE relay_checkpoints;
