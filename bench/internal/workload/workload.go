// Package workload defines the events the event-store benchmarks write, and the same rows
// for their raw baselines (pgbench scripts, COPY), so that both sides write alike: the same
// table shape, payload size and metadata.
package workload

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/storefront/storefront/platform/es"
)

// The fixed parts of every benchmark event.
const (
	// EventType is the type name of every event: its subject ends in ThingHappened.
	EventType = "storefront.bench.v1.ThingHappened"
	// PayloadSize is the size of every payload, a small protobuf message's worth.
	PayloadSize   = 100
	correlationID = "0190e4c2-7b4a-7000-8000-00000000c0de"
	causationID   = "0190e4c2-7b4a-7000-8000-00000000cafe"
	userID        = "0190e4c2-7b4a-7000-8000-0000000000a1"
	traceParent   = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
)

// payload is the payload of every event.
var payload = bytes.Repeat([]byte{0xab}, PayloadSize)

// Events returns n events to append: the store gives them fresh ids on every append, so one
// slice serves every append of a writer.
func Events(n int) []es.EventData {
	evs := make([]es.EventData, n)
	for i := range evs {
		evs[i] = es.EventData{
			Type:    EventType,
			Payload: payload,
			Metadata: es.Metadata{
				CorrelationID: correlationID,
				CausationID:   causationID,
				UserID:        userID,
				TraceParent:   traceParent,
			},
		}
	}
	return evs
}

// StreamID names stream i of writer w: aggregate "thing", so subjects are
// <context>.thing.ThingHappened.
func StreamID(w, i int) string {
	return "thing-" + strconv.Itoa(w) + "-" + strconv.Itoa(i)
}

// CreateRawTable creates table (schema-qualified, schema created if missing) with exactly
// the columns, defaults, identity, constraints and indexes of the event store's events table
// like, so that a raw tool writes the same shape the store does.
func CreateRawTable(ctx context.Context, pool *pgxpool.Pool, schema, table string, like pgx.Identifier) error {
	stmts := []string{
		"CREATE SCHEMA IF NOT EXISTS " + pgx.Identifier{schema}.Sanitize(),
		"CREATE TABLE " + pgx.Identifier{schema, table}.Sanitize() + " (LIKE " + like.Sanitize() + " INCLUDING ALL)",
	}
	for _, s := range stmts {
		if _, err := pool.Exec(ctx, s); err != nil {
			return fmt.Errorf("workload: create raw table %s.%s: %w", schema, table, err)
		}
	}
	return nil
}

// CopyColumns are the columns a raw writer fills: every column but the generated
// global_position and the defaulted recorded_at, like the store's append.
var CopyColumns = []string{"tx_id", "event_id", "stream_id", "stream_version", "event_type", "schema_version",
	"payload", "correlation_id", "causation_id", "user_id", "trace_parent", "trace_state"}

// CopyRow returns the row of CopyColumns for an event, with the given transaction id.
func CopyRow(txID int64, id [16]byte, stream string, version int64) []any {
	return []any{txID, id, stream, version, EventType, int32(1), payload,
		correlationID, causationID, userID, traceParent, ""}
}

// valuesRow is the VALUES row of a pgbench INSERT of an event of stream
// 'thing-<client>-<:s>' at version; it takes the transaction id as the store does.
func valuesRow(version int) string {
	return "(pg_current_xact_id()::text::bigint, gen_random_uuid(), 'thing-' || :client_id || '-' || :s, " +
		strconv.Itoa(version) + ", '" + EventType + "', 1, '\\x" + strings.Repeat("ab", PayloadSize) + "'::bytea, " +
		"'" + correlationID + "', '" + causationID + "', '" + userID + "', '" + traceParent + "', '')"
}

// PgbenchScript returns a pgbench script whose transaction inserts rows events of one new
// stream into table: with oneStatement, as one multi-row INSERT (what an append does: one
// statement); otherwise as one INSERT per row between BEGIN and END. A single row is a single
// autocommitted INSERT either way.
func PgbenchScript(table pgx.Identifier, rows int, oneStatement bool) string {
	insert := "INSERT INTO " + table.Sanitize() + " (" + strings.Join(CopyColumns, ", ") + ") VALUES "
	var b strings.Builder
	// A random stream per transaction: (stream_id, stream_version) stays unique.
	b.WriteString("\\set s random(1, 9000000000000000000)\n")
	switch {
	case rows == 1:
		b.WriteString(insert + valuesRow(1) + ";\n")
	case oneStatement:
		values := make([]string, rows)
		for v := range values {
			values[v] = valuesRow(v + 1)
		}
		b.WriteString(insert + strings.Join(values, ", ") + ";\n")
	default:
		b.WriteString("BEGIN;\n")
		for v := 1; v <= rows; v++ {
			b.WriteString(insert + valuesRow(v) + ";\n")
		}
		b.WriteString("END;\n")
	}
	return b.String()
}

// PgbenchAppendScript returns a pgbench script whose transaction is one call of the event
// store's append_events function in schema, appending perTx events to a new stream: the
// store's round trip without the Go client.
func PgbenchAppendScript(schema string, perTx int) string {
	array := func(elem string) string {
		return "ARRAY[" + strings.TrimSuffix(strings.Repeat(elem+", ", perTx), ", ") + "]"
	}
	text := func(v string) string { return array("'" + v + "'") }
	return "\\set s random(1, 9000000000000000000)\n" +
		"SELECT * FROM " + pgx.Identifier{schema, "append_events"}.Sanitize() + "('pgb-' || :client_id || '-' || :s, -1, " +
		array("gen_random_uuid()") + ", " + text(EventType) + ", " + array("1") + ", " +
		array("'\\x"+strings.Repeat("ab", PayloadSize)+"'::bytea") + ", " +
		text(correlationID) + ", " + text(causationID) + ", " + text(userID) + ", " + text(traceParent) + ", " + text("") + ", " +
		"'{}'::text[], '{}'::text[], '{}'::text[], '{}'::text[]);\n"
}

// maxScanPages stops a RawScan of a table that keeps growing.
const maxScanPages = 10_000_000

// RawScan reads every row of an events table in (tx_id, global_position) pages, scanning
// the columns ReadAll returns into reused variables with pgx's Scan: what a plain pgx reader
// of the table does, without building events. maxScanPages bounds it.
func RawScan(ctx context.Context, db Querier, table pgx.Identifier, page int) (int64, time.Duration, error) {
	return rawScan(ctx, db, table, page, true)
}

// RawWireScan is RawScan that decodes nothing but the position it pages by: the cost of the
// rows reaching the client, the floor of any reader.
func RawWireScan(ctx context.Context, db Querier, table pgx.Identifier, page int) (int64, time.Duration, error) {
	return rawScan(ctx, db, table, page, false)
}

// Querier is what the scans need of a pool.
type Querier interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}

func rawScan(ctx context.Context, db Querier, table pgx.Identifier, page int, decode bool) (int64, time.Duration, error) {
	sql := `SELECT event_id, stream_id, stream_version, tx_id, global_position, event_type, schema_version,
			payload, correlation_id, causation_id, user_id, trace_parent, trace_state, recorded_at
		FROM ` + table.Sanitize() + `
		WHERE (tx_id, global_position) > ($1, $2)
		ORDER BY tx_id, global_position LIMIT $3`
	var (
		id                                  [16]byte
		stream, typ, corr, cause, user      string
		traceParent, traceState             string
		version, txID, global, afterTx, aft int64
		schema                              int32
		payload                             []byte
		at                                  time.Time
		n                                   int64
		start                               = time.Now()
	)
	for range maxScanPages {
		rows, err := db.Query(ctx, sql, afterTx, aft, page)
		if err != nil {
			return 0, 0, fmt.Errorf("raw scan: %w", err)
		}
		got := 0
		for rows.Next() {
			if !decode {
				// tx_id and global_position, int8 in binary format.
				v := rows.RawValues()
				if len(v) != 14 || len(v[3]) != 8 || len(v[4]) != 8 {
					rows.Close()
					return 0, 0, errors.New("raw scan: unexpected row format")
				}
				txID, global = int64(binary.BigEndian.Uint64(v[3])), int64(binary.BigEndian.Uint64(v[4]))
				got++
				continue
			}
			if err := rows.Scan(&id, &stream, &version, &txID, &global, &typ, &schema, &payload,
				&corr, &cause, &user, &traceParent, &traceState, &at); err != nil {
				rows.Close()
				return 0, 0, fmt.Errorf("raw scan: %w", err)
			}
			got++
		}
		if err := rows.Err(); err != nil {
			return 0, 0, fmt.Errorf("raw scan: %w", err)
		}
		if got == 0 {
			return n, time.Since(start), nil
		}
		n += int64(got)
		afterTx, aft = txID, global
	}
	return 0, 0, fmt.Errorf("raw scan: more than %d pages", maxScanPages)
}
