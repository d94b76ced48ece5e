-- The hash of the definition (DDL, indexes and contexts) the active generation was built
-- from: a projector whose code defines the projection differently rebuilds it at start,
-- blue/green (the active generation serves until the switch). NULL for generations built
-- before this column existed, which are rebuilt once.

-- +goose Up
ALTER TABLE projections ADD COLUMN active_ddl_hash text;

-- +goose Down
ALTER TABLE projections DROP COLUMN active_ddl_hash;
