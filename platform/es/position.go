package es

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
)

// Position is an event's place in the store's global order, the order of ReadAll.
//
// The order is by TxID, then by Global. Global alone is unique but NOT the read order: a
// transaction that draws a low Global can commit after one that drew a higher one, and a
// reader ordering by Global alone would already have passed it (docs/decisions/002). Within
// one stream, the global order agrees with the version order.
//
// Positions are comparable with Compare, and serialise either as the two integers (a
// checkpoint table's column pair) or as a fixed-width string (String, ParsePosition,
// MarshalText) whose byte order is the Position order.
//
// The zero Position is before every event: ReadAll(ctx, Position{}, n) reads from the start.
type Position struct {
	// TxID identifies the transaction that wrote the event (PostgreSQL: its xid8; the memory
	// store: the append's sequence number). Never negative.
	TxID int64
	// Global is the event's unique, store-wide sequence number. Never negative.
	Global int64
}

// Compare returns -1, 0 or +1 as p is before, equal to or after q in the global order.
func (p Position) Compare(q Position) int {
	if c := cmp.Compare(p.TxID, q.TxID); c != 0 {
		return c
	}
	return cmp.Compare(p.Global, q.Global)
}

// Before reports whether p comes before q in the global order.
func (p Position) Before(q Position) bool { return p.Compare(q) < 0 }

// IsZero reports whether p is the start of the log.
func (p Position) IsZero() bool { return p == Position{} }

// String encodes p as "TTTTTTTTTTTTTTTT-GGGGGGGGGGGGGGGG" (two 16-digit lower-case hex
// numbers), so that strings compare like positions.
func (p Position) String() string {
	return fmt.Sprintf("%016x-%016x", uint64(p.TxID), uint64(p.Global))
}

// MarshalText implements encoding.TextMarshaler with the String form.
func (p Position) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with ParsePosition.
func (p *Position) UnmarshalText(b []byte) error {
	q, err := ParsePosition(string(b))
	if err != nil {
		return err
	}
	*p = q
	return nil
}

// ParsePosition decodes the String form of a Position. The empty string is the zero Position.
func ParsePosition(s string) (Position, error) {
	if s == "" {
		return Position{}, nil
	}
	tx, global, ok := strings.Cut(s, "-")
	if !ok || !isHex16(tx) || !isHex16(global) {
		return Position{}, invalid("position %q: want two 16-digit hex numbers joined by '-'", s)
	}
	t, err1 := strconv.ParseInt(tx, 16, 64)
	g, err2 := strconv.ParseInt(global, 16, 64)
	if err1 != nil || err2 != nil || t < 0 || g < 0 {
		return Position{}, invalid("position %q: want two 16-digit hex numbers joined by '-'", s)
	}
	return Position{TxID: t, Global: g}, nil
}

func isHex16(s string) bool {
	if len(s) != 16 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
