-- +goose Up
-- append_batch writes several appends, to distinct streams, in one transaction: the store
-- combines concurrent appends this way so that they share one commit (one WAL flush) instead
-- of queueing for one each (docs/decisions/014-append-batching.md). Each append keeps its own
-- expected-version check: one that conflicts is skipped and reported, the others are written.
--
-- p_streams and p_expected hold one entry per append (no stream twice); the event arrays one
-- entry per event, with p_append_of its append's 1-based index and p_offsets its 1-based
-- place in that append. Appends with claims or releases go through append_events instead.
--
-- Returns one row per written event (stream, version, tx id, global position) and one row per
-- conflicting append (stream, its actual version, NULL, NULL).
-- +goose StatementBegin
CREATE FUNCTION append_batch(
    p_streams         text[],
    p_expected        bigint[],
    p_append_of       integer[],
    p_offsets         integer[],
    p_event_ids       uuid[],
    p_types           text[],
    p_schema_versions integer[],
    p_payloads        bytea[],
    p_correlation_ids text[],
    p_causation_ids   text[],
    p_user_ids        text[],
    p_trace_parents   text[],
    p_trace_states    text[]
) RETURNS TABLE (out_stream text, out_version bigint, out_tx_id bigint, out_global_position bigint)
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
    v_stream  text;
    v_current bigint[];
    v_ok      boolean[];
    v_any_ok  boolean;
    v_tx      bigint;
BEGIN
    IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
        RAISE EXCEPTION 'es: append_batch must be the first write of its transaction';
    END IF;

    -- Every stream's lock before the transaction takes its xid, as append_events does, so
    -- that each stream's appends get increasing xids. In stream order, as Import takes them,
    -- so that concurrent batches and imports cannot deadlock.
    FOR v_stream IN SELECT s FROM unnest(p_streams) AS s ORDER BY s LOOP
        PERFORM pg_advisory_xact_lock(hashtextextended('es:' || current_schema() || ':' || v_stream, 0));
    END LOOP;

    -- Under the locks, a new statement's snapshot sees every committed append to the streams.
    -- max() per stream: one index probe each.
    SELECT array_agg(coalesce((SELECT max(e.stream_version) FROM events AS e WHERE e.stream_id = s.stream), 0) ORDER BY s.n)
    INTO v_current
    FROM unnest(p_streams) WITH ORDINALITY AS s(stream, n);

    SELECT array_agg(x.expected = -1 OR (x.expected = -2 AND v_current[x.n] > 0) OR x.expected = v_current[x.n] ORDER BY x.n),
           bool_or(x.expected = -1 OR (x.expected = -2 AND v_current[x.n] > 0) OR x.expected = v_current[x.n])
    INTO v_ok, v_any_ok
    FROM unnest(p_expected) WITH ORDINALITY AS x(expected, n);

    RETURN QUERY
    SELECT p_streams[x.n], v_current[x.n], NULL::bigint, NULL::bigint
    FROM generate_subscripts(p_streams, 1) AS x(n)
    WHERE NOT v_ok[x.n];

    IF NOT v_any_ok THEN
        RETURN; -- nothing to write: no xid, no commit record to flush
    END IF;

    v_tx := pg_current_xact_id()::text::bigint;

    RETURN QUERY
    INSERT INTO events AS e (tx_id, event_id, stream_id, stream_version, event_type, schema_version, payload,
                             correlation_id, causation_id, user_id, trace_parent, trace_state)
    SELECT v_tx, u.event_id, p_streams[u.a], v_current[u.a] + u.k, u.event_type, u.schema_version, u.payload,
           u.correlation_id, u.causation_id, u.user_id, u.trace_parent, u.trace_state
    FROM unnest(p_append_of, p_offsets, p_event_ids, p_types, p_schema_versions, p_payloads, p_correlation_ids,
                p_causation_ids, p_user_ids, p_trace_parents, p_trace_states)
         WITH ORDINALITY AS u(a, k, event_id, event_type, schema_version, payload, correlation_id,
                              causation_id, user_id, trace_parent, trace_state, n)
    WHERE v_ok[u.a]
    ORDER BY u.n
    RETURNING e.stream_id, e.stream_version, e.tx_id, e.global_position;
END;
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION append_batch(text[], bigint[], integer[], integer[], uuid[], text[], integer[], bytea[],
                           text[], text[], text[], text[], text[]);
