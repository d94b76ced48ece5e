-- +goose Up
-- append_events without the streams table: a stream's version is its last event's, read from
-- the (stream_id, stream_version) index under the stream's advisory lock. The table cost every
-- append a second row write and its WAL, for a value the events already hold
-- (docs/decisions/007-benchmarks.md).
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION append_events(
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

    -- Under the lock, a new statement's snapshot sees every committed append to the stream.
    SELECT max(e.stream_version) INTO v_current FROM events AS e WHERE e.stream_id = p_stream_id;
    v_current := coalesce(v_current, 0);
    IF NOT (p_expected = -1 OR (p_expected = -2 AND v_current > 0) OR p_expected = v_current) THEN
        RAISE EXCEPTION 'es: concurrency conflict on stream %: expected %, stream is at %', p_stream_id, p_expected, v_current
            USING ERRCODE = 'SF001', DETAIL = v_current::text;
    END IF;

    IF cardinality(p_release_scopes) > 0 THEN
        DELETE FROM claims AS c
        USING unnest(p_release_scopes, p_release_values) AS r(scope, value)
        WHERE c.scope = r.scope AND c.value = r.value AND c.stream_id = p_stream_id;
    END IF;

    IF cardinality(p_claim_scopes) > 0 THEN
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
    END IF;

    v_tx := pg_current_xact_id()::text::bigint;

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
END;
$$;
-- +goose StatementEnd

DROP TABLE streams;

-- +goose Down
CREATE TABLE streams (
    stream_id text PRIMARY KEY,
    version   bigint NOT NULL CHECK (version > 0)
);
INSERT INTO streams (stream_id, version) SELECT stream_id, max(stream_version) FROM events GROUP BY stream_id;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION append_events(
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

    IF cardinality(p_release_scopes) > 0 THEN
        DELETE FROM claims AS c
        USING unnest(p_release_scopes, p_release_values) AS r(scope, value)
        WHERE c.scope = r.scope AND c.value = r.value AND c.stream_id = p_stream_id;
    END IF;

    IF cardinality(p_claim_scopes) > 0 THEN
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
END;
$$;
-- +goose StatementEnd

