package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"
)

// printJSON writes an API body for scripts: the document as received, indented by two
// spaces, one trailing newline. An empty body (204) is written as {}.
func printJSON(w io.Writer, body []byte) error {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	var b bytes.Buffer
	if err := json.Indent(&b, body, "", "  "); err != nil {
		return fmt.Errorf("unexpected answer from the API: %w", err)
	}
	b.WriteByte('\n')
	_, err := w.Write(b.Bytes())
	return err
}

// printJSONLine writes one document compactly on one line (JSON Lines, for streams tail).
func printJSONLine(w io.Writer, doc []byte) error {
	var b bytes.Buffer
	if err := json.Compact(&b, doc); err != nil {
		return fmt.Errorf("unexpected answer from the API: %w", err)
	}
	b.WriteByte('\n')
	_, err := w.Write(b.Bytes())
	return err
}

// table writes aligned columns; cells are sanitised so that text from the API cannot move
// the cursor or break a row.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
	t.row(header...)
	return t
}

func (t *table) row(cells ...string) {
	for i, c := range cells {
		if i > 0 {
			io.WriteString(t.tw, "\t")
		}
		c = strings.ReplaceAll(sanitize(c), "\t", " ")
		if c == "" {
			c = "-"
		}
		io.WriteString(t.tw, c)
	}
	io.WriteString(t.tw, "\n")
}

func (t *table) flush() error { return t.tw.Flush() }

// sanitize replaces control characters (escape sequences, newlines) with spaces.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\t' {
			return ' '
		}
		return r
	}, s)
}

// truncate shortens s to at most n runes, marking the cut with "…".
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// num formats a JSON number without exponent or trailing zeros.
func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// seconds formats a duration given in seconds, rounded to 0.1 s below a minute.
func seconds(s float64) string {
	d := time.Duration(s * float64(time.Second))
	if d < time.Minute {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// pageFooter is the line under a paginated table: "page 2 of 6, 137 streams".
func pageFooter(page, perPage, total int, noun string) string {
	pages := 1
	if perPage > 0 && total > 0 {
		pages = (total + perPage - 1) / perPage
	}
	return fmt.Sprintf("page %d of %d, %d %s", page, pages, total, noun)
}
