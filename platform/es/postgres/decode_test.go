package postgres

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/testkit/pgtest"
)

// The binary decoder must read exactly what pgx's Scan reads, whatever the payload sizes
// (empty, small ones sharing a block, ones crossing blocks, large ones on their own) and the
// text (empty, non-ASCII).
func TestCollectEvents_DecodesWhatScanReads(t *testing.T) {
	const schema = "es_decode"
	db := pgtest.New(t, Migrations(schema))
	store, err := New(db.Pool, schema, WithAppendsInFlight(0))
	if err != nil {
		t.Fatal(err)
	}
	sizes := []int{0, 1, 100, payloadChunk/4 - 1, payloadChunk / 4, payloadChunk/4 + 1, payloadChunk, 3 * payloadChunk, 7}
	var evs []es.EventData
	for i, n := range sizes {
		evs = append(evs, es.EventData{
			Type:          fmt.Sprintf("Type%d", i),
			SchemaVersion: i + 1,
			Payload:       bytes.Repeat([]byte{byte(i + 1)}, n),
			Metadata: es.Metadata{
				CorrelationID: fmt.Sprintf("corr-%d", i), CausationID: "", UserID: "usér-ü-" + fmt.Sprint(i),
				TraceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", TraceState: "k=v",
			},
		})
	}
	for _, stream := range []string{"a", "ß-stream", "x"} {
		if _, err := store.Append(t.Context(), stream, es.Any, evs); err != nil {
			t.Fatal(err)
		}
	}

	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeSimpleProtocol} {
		t.Run(mode.String(), func(t *testing.T) {
			query := func() pgx.Rows {
				rows, err := db.Pool.Query(t.Context(), store.sql.readAll, mode, int64(0), int64(0), 1000)
				if err != nil {
					t.Fatal(err)
				}
				return rows
			}
			want, err := pgx.CollectRows(query(), scanEvent)
			if err != nil {
				t.Fatal(err)
			}
			rows := query()
			if rows.Next() {
				if got, wantBinary := binaryEventRows(rows.FieldDescriptions()), mode != pgx.QueryExecModeSimpleProtocol; got != wantBinary {
					t.Errorf("binary path taken: %v, want %v", got, wantBinary)
				}
			}
			rows.Close()
			got, err := collectEvents(query(), 4)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 3*len(sizes) {
				t.Fatalf("%d events, want %d", len(got), 3*len(sizes))
			}
			for i := range want {
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Fatalf("event %d:\n got %+v\nwant %+v", i, got[i], want[i])
				}
			}
			// Payloads cut from a shared block must not spill into each other when appended to.
			for i := range got {
				before := append([]byte(nil), got[(i+1)%len(got)].Payload...)
				got[i].Payload = append(got[i].Payload, 0xFF)
				if !bytes.Equal(got[(i+1)%len(got)].Payload, before) {
					t.Fatalf("appending to event %d's payload changed event %d's", i, i+1)
				}
			}
		})
	}
}
