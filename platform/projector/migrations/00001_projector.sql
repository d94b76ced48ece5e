-- The projector's registry and parking lot, in the schema "projector" (pgmigrate sets the
-- search_path). The read models themselves live in their own generation schemas.

-- +goose Up
CREATE TABLE projections (
    name                text PRIMARY KEY,
    -- The generation readers see (NULL until the first build switches in).
    active_generation   integer,
    state               text NOT NULL DEFAULT 'rebuilding' CHECK (state IN ('live', 'rebuilding', 'failed')),
    -- The generation being built (or whose build failed), and a hash of the DDL it was
    -- created with: a rebuild resumes it only if the DDL is unchanged.
    building_generation integer,
    building_ddl_hash   text,
    next_generation     integer NOT NULL DEFAULT 1,
    -- Rebuild progress: events applied by the current run, position and head (sums of the
    -- global sequence numbers of the owning stores), throughput and estimated time left.
    rebuild_started_at  timestamptz,
    rebuild_applied     bigint NOT NULL DEFAULT 0,
    rebuild_position    bigint NOT NULL DEFAULT 0,
    rebuild_total       bigint NOT NULL DEFAULT 0,
    rebuild_rate        double precision NOT NULL DEFAULT 0,
    rebuild_eta_seconds double precision NOT NULL DEFAULT 0,
    last_error          text NOT NULL DEFAULT '',
    switched_at         timestamptz,
    updated_at          timestamptz NOT NULL DEFAULT now()
);

-- Where a rebuild has read each owning context's event store, committed with its batches.
CREATE TABLE rebuild_positions (
    projection      text    NOT NULL REFERENCES projections (name) ON DELETE CASCADE,
    generation      integer NOT NULL,
    context         text    NOT NULL,
    tx_id           bigint  NOT NULL DEFAULT 0,
    global_position bigint  NOT NULL DEFAULT 0,
    head_global     bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (projection, generation, context)
);

-- The live consumers' lag as last sampled from JetStream's consumer info.
CREATE TABLE consumers (
    projection  text   NOT NULL,
    context     text   NOT NULL,
    consumer    text   NOT NULL,
    num_pending bigint NOT NULL,
    ack_pending bigint NOT NULL,
    redelivered bigint NOT NULL,
    sampled_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, context)
);

-- Events a projection could not apply. A parked event blocks its stream in its generation
-- (see the generation's projector_streams.blocked_by) until a rebuild supersedes it.
CREATE TABLE parked (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    projection     text    NOT NULL,
    generation     integer NOT NULL,
    reason         text    NOT NULL,
    error          text    NOT NULL,
    event_id       uuid,
    stream_id      text    NOT NULL,
    version        bigint  NOT NULL,
    event_type     text    NOT NULL,
    schema_version integer NOT NULL,
    subject        text    NOT NULL,
    payload        bytea   NOT NULL,
    -- The event's envelope as natsbus message headers.
    metadata       jsonb   NOT NULL,
    parked_at      timestamptz NOT NULL DEFAULT now(),
    resolved_at    timestamptz,
    resolution     text
);
CREATE UNIQUE INDEX parked_event_key ON parked (projection, generation, event_id);
CREATE INDEX parked_open ON parked (projection, id) WHERE resolved_at IS NULL;

-- +goose Down
DROP TABLE parked;
DROP TABLE consumers;
DROP TABLE rebuild_positions;
DROP TABLE projections;
