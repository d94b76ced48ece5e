-- The event store of one service, created in that service's schema (pgmigrate sets the
-- search_path). See docs/decisions/002-gap-safe-global-order.md for the global order.

-- +goose Up
CREATE TABLE streams (
    stream_id text PRIMARY KEY,
    version   bigint NOT NULL CHECK (version > 0)
);

CREATE TABLE events (
    -- The global order is (tx_id, global_position): tx_id is the writing transaction's xid8
    -- (as bigint), global_position a store-wide sequence number that orders events within a
    -- transaction. The primary key doubles as the index of ReadAll's keyset pagination.
    tx_id           bigint NOT NULL,
    global_position bigint GENERATED ALWAYS AS IDENTITY,
    event_id        uuid   NOT NULL,
    stream_id       text   NOT NULL,
    stream_version  bigint NOT NULL CHECK (stream_version > 0),
    event_type      text   NOT NULL CHECK (event_type <> ''),
    schema_version  integer NOT NULL CHECK (schema_version > 0),
    payload         bytea  NOT NULL,
    correlation_id  text   NOT NULL,
    causation_id    text   NOT NULL,
    user_id         text   NOT NULL,
    trace_parent    text   NOT NULL,
    trace_state     text   NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT events_pkey PRIMARY KEY (tx_id, global_position),
    CONSTRAINT events_stream_version_key UNIQUE (stream_id, stream_version),
    CONSTRAINT events_event_id_key UNIQUE (event_id)
);

-- Uniqueness reservations (e-mail, SKU, slug...): the only write-side table updated in place.
CREATE TABLE claims (
    scope      text NOT NULL,
    value      text NOT NULL,
    stream_id  text NOT NULL,
    claimed_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT claims_pkey PRIMARY KEY (scope, value)
);

CREATE TABLE snapshots (
    stream_id     text PRIMARY KEY,
    snapshot_type text   NOT NULL,
    version       bigint NOT NULL CHECK (version > 0),
    payload       bytea  NOT NULL,
    saved_at      timestamptz NOT NULL DEFAULT now()
);

-- append_events is the whole of an append, in one statement and so one round trip: check the
-- expected version, release and take claims, insert the events, move the stream's version,
-- notify listeners. Any failure raises and rolls everything back.
--
-- p_expected: -1 any, -2 the stream must exist, n >= 0 the stream's version must be n.
-- Raises SQLSTATE SF001 on a version conflict (DETAIL: the actual version) and SF002 on a
-- claim held by another stream (DETAIL: the 1-based index of the claim in p_claim_*).
-- +goose StatementBegin
CREATE FUNCTION append_events(
    p_stream_id       text,
    p_expected        bigint,
    p_event_ids       uuid[],
    p_types           text[],
    p_schema_versions integer[],
    p_payloads        bytea[],
    p_correlation_ids text[],
    p_causation_ids   text[],
    p_user_ids        text[],
    p_trace_parents   text[],
    p_trace_states    text[],
    p_claim_scopes    text[],
    p_claim_values    text[],
    p_release_scopes  text[],
    p_release_values  text[]
) RETURNS TABLE (out_version bigint, out_tx_id bigint, out_global_position bigint)
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
    v_current bigint;
    v_tx      bigint;
    v_claim   bigint;
BEGIN
    -- The global order relies on this transaction taking its xid under the stream lock below.
    IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
        RAISE EXCEPTION 'es: append_events must be the first write of its transaction';
    END IF;

    -- Serialise the appends to this stream BEFORE the transaction takes an xid (an advisory
    -- lock needs none; a row lock would take one). The next appender of the stream therefore
    -- gets a higher xid, and the global order (tx_id, global_position) keeps each stream in
    -- version order.
    PERFORM pg_advisory_xact_lock(hashtextextended('es:' || current_schema() || ':' || p_stream_id, 0));

    SELECT s.version INTO v_current FROM streams AS s WHERE s.stream_id = p_stream_id;
    v_current := coalesce(v_current, 0);
    IF NOT (p_expected = -1 OR (p_expected = -2 AND v_current > 0) OR p_expected = v_current) THEN
        RAISE EXCEPTION 'es: concurrency conflict on stream %: expected %, stream is at %', p_stream_id, p_expected, v_current
            USING ERRCODE = 'SF001', DETAIL = v_current::text;
    END IF;

    DELETE FROM claims AS c
    USING unnest(p_release_scopes, p_release_values) AS r(scope, value)
    WHERE c.scope = r.scope AND c.value = r.value AND c.stream_id = p_stream_id;

    -- In a fixed order, so that two appends claiming the same values cannot deadlock.
    INSERT INTO claims (scope, value, stream_id)
    SELECT u.scope, u.value, p_stream_id
    FROM unnest(p_claim_scopes, p_claim_values) AS u(scope, value)
    ORDER BY u.scope, u.value
    ON CONFLICT (scope, value) DO NOTHING;

    -- A new statement, so a new snapshot: it sees a claim committed by a concurrent append
    -- that the INSERT above waited for.
    SELECT u.n INTO v_claim
    FROM unnest(p_claim_scopes, p_claim_values) WITH ORDINALITY AS u(scope, value, n)
    JOIN claims AS c ON c.scope = u.scope AND c.value = u.value
    WHERE c.stream_id <> p_stream_id
    ORDER BY u.n
    LIMIT 1;
    IF FOUND THEN
        -- The value may be personal data: name the scope only.
        RAISE EXCEPTION 'es: a value in scope % is already claimed by another stream', p_claim_scopes[v_claim]
            USING ERRCODE = 'SF002', DETAIL = v_claim::text;
    END IF;

    v_tx := pg_current_xact_id()::text::bigint;

    INSERT INTO streams AS s (stream_id, version)
    VALUES (p_stream_id, v_current + cardinality(p_event_ids))
    ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version;

    RETURN QUERY
    INSERT INTO events AS e (tx_id, event_id, stream_id, stream_version, event_type, schema_version, payload,
                             correlation_id, causation_id, user_id, trace_parent, trace_state)
    SELECT v_tx, u.event_id, p_stream_id, v_current + u.n, u.event_type, u.schema_version, u.payload,
           u.correlation_id, u.causation_id, u.user_id, u.trace_parent, u.trace_state
    FROM unnest(p_event_ids, p_types, p_schema_versions, p_payloads, p_correlation_ids,
                p_causation_ids, p_user_ids, p_trace_parents, p_trace_states)
         WITH ORDINALITY AS u(event_id, event_type, schema_version, payload, correlation_id,
                              causation_id, user_id, trace_parent, trace_state, n)
    ORDER BY u.n
    RETURNING e.stream_version, e.tx_id, e.global_position;

    -- Wake the relay. Delivered at commit, once per transaction.
    PERFORM pg_notify(current_schema() || '_events', v_tx::text);
END;
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION append_events;
DROP TABLE snapshots;
DROP TABLE claims;
DROP TABLE events;
DROP TABLE streams;
