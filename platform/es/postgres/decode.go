package postgres

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/storefront/storefront/platform/es"
)

// eventColumns' order, for the decoder.
const (
	colEventID = iota
	colStreamID
	colStreamVersion
	colTxID
	colGlobal
	colEventType
	colSchemaVersion
	colPayload
	colCorrelationID
	colCausationID
	colUserID
	colTraceParent
	colTraceState
	colRecordedAt
	numEventColumns
)

// textColumns are the columns that become strings, in the order they are packed into one.
var textColumns = [...]int{colStreamID, colEventType, colCorrelationID, colCausationID, colUserID, colTraceParent, colTraceState}

// payloadChunk is the size of the blocks payloads are cut from; a larger payload gets its own.
const payloadChunk = 32 << 10

// collectEvents reads rows of eventColumns. It decodes PostgreSQL's binary format itself, the
// hot path of catch-up reads (relay, rebuilds): pgx's generic Scan costs a plan lookup and an
// allocation per column, where this makes one string per event for its seven text columns and
// cuts payloads from shared blocks. Rows in any other format go through Scan.
func collectEvents(rows pgx.Rows, capacity int) ([]es.RecordedEvent, error) {
	defer rows.Close()
	var (
		evs    = make([]es.RecordedEvent, 0, capacity)
		text   []byte
		chunk  []byte
		binary *bool
	)
	for rows.Next() {
		if binary == nil {
			b := binaryEventRows(rows.FieldDescriptions())
			binary = &b
		}
		if !*binary {
			ev, err := scanEvent(rows)
			if err != nil {
				return nil, err
			}
			evs = append(evs, ev)
			continue
		}
		ev, err := decodeEvent(rows.RawValues(), &text, &chunk)
		if err != nil {
			return nil, err
		}
		evs = append(evs, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return evs, nil
}

// binaryEventRows says whether rows with these fields can be decoded by decodeEvent: every
// non-text column in binary format (text is the same bytes in either).
func binaryEventRows(fds []pgconn.FieldDescription) bool {
	if len(fds) != numEventColumns {
		return false
	}
	isText := [numEventColumns]bool{}
	for _, c := range textColumns {
		isText[c] = true
	}
	for i, fd := range fds {
		if !isText[i] && fd.Format != pgtype.BinaryFormatCode {
			return false
		}
	}
	return true
}

var errBadEventRow = errors.New("es/postgres: malformed event row")

// postgresEpoch is where PostgreSQL's binary timestamps count microseconds from.
var postgresEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

func decodeEvent(vals [][]byte, text, chunk *[]byte) (es.RecordedEvent, error) {
	var e es.RecordedEvent
	if len(vals) != numEventColumns {
		return e, fmt.Errorf("%w: %d columns", errBadEventRow, len(vals))
	}
	for i, v := range vals {
		if v == nil {
			return e, fmt.Errorf("%w: column %d is NULL", errBadEventRow, i)
		}
	}
	if len(vals[colEventID]) != 16 || len(vals[colStreamVersion]) != 8 || len(vals[colTxID]) != 8 ||
		len(vals[colGlobal]) != 8 || len(vals[colSchemaVersion]) != 4 || len(vals[colRecordedAt]) != 8 {
		return e, fmt.Errorf("%w: unexpected field sizes", errBadEventRow)
	}
	copy(e.ID[:], vals[colEventID])
	e.Version = int64(binary.BigEndian.Uint64(vals[colStreamVersion]))
	e.Position.TxID = int64(binary.BigEndian.Uint64(vals[colTxID]))
	e.Position.Global = int64(binary.BigEndian.Uint64(vals[colGlobal]))
	e.SchemaVersion = int(int32(binary.BigEndian.Uint32(vals[colSchemaVersion])))
	micros := int64(binary.BigEndian.Uint64(vals[colRecordedAt]))
	e.RecordedAt = postgresEpoch.Add(time.Duration(micros) * time.Microsecond)

	// One allocation for the seven strings.
	buf := (*text)[:0]
	var ends [len(textColumns)]int
	for i, c := range textColumns {
		buf = append(buf, vals[c]...)
		ends[i] = len(buf)
	}
	*text = buf
	all := string(buf)
	cut := func(i int) string {
		start := 0
		if i > 0 {
			start = ends[i-1]
		}
		return all[start:ends[i]]
	}
	e.StreamID, e.Type = cut(0), cut(1)
	e.Metadata.CorrelationID, e.Metadata.CausationID, e.Metadata.UserID = cut(2), cut(3), cut(4)
	e.Metadata.TraceParent, e.Metadata.TraceState = cut(5), cut(6)

	// Payloads from shared blocks, each capped so that appending to one cannot touch the next.
	p := vals[colPayload]
	switch n := len(p); {
	case n == 0:
		e.Payload = []byte{}
	case n > payloadChunk/4:
		e.Payload = append(make([]byte, 0, n), p...)
	default:
		if len(*chunk)+n > cap(*chunk) {
			*chunk = make([]byte, 0, payloadChunk)
		}
		start := len(*chunk)
		*chunk = append(*chunk, p...)
		e.Payload = (*chunk)[start : start+n : start+n]
	}
	return e, nil
}
