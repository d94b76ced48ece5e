-- Operators' requests, carried out by the processes that own the work (decision 023):
-- a rebuild asked for a projection (the projector runs it), and a redrive or discard asked
-- for a dead letter (the consumer that parked it carries it out). The contexts a projection
-- reads, its live consumers' position, and the age of the oldest message they have yet to
-- apply, are shown to operators with its progress.

-- +goose Up
ALTER TABLE projections ADD COLUMN rebuild_requested_at timestamptz;
ALTER TABLE projections ADD COLUMN contexts text[] NOT NULL DEFAULT '{}';
ALTER TABLE consumers ADD COLUMN oldest_pending_at timestamptz;
-- The stream sequence below which the consumer has acknowledged everything: its position.
ALTER TABLE consumers ADD COLUMN ack_floor bigint NOT NULL DEFAULT 0;
ALTER TABLE parked ADD COLUMN attempts integer NOT NULL DEFAULT 1;
ALTER TABLE parked ADD COLUMN requested text CHECK (requested IN ('redrive', 'discard'));
ALTER TABLE parked ADD COLUMN requested_at timestamptz;
CREATE INDEX parked_requested ON parked (projection, id) WHERE resolved_at IS NULL AND requested IS NOT NULL;

-- +goose Down
DROP INDEX parked_requested;
ALTER TABLE parked DROP COLUMN requested_at;
ALTER TABLE parked DROP COLUMN requested;
ALTER TABLE parked DROP COLUMN attempts;
ALTER TABLE consumers DROP COLUMN ack_floor;
ALTER TABLE consumers DROP COLUMN oldest_pending_at;
ALTER TABLE projections DROP COLUMN contexts;
ALTER TABLE projections DROP COLUMN rebuild_requested_at;
