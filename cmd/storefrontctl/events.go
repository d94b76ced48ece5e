package main

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/spf13/cobra"
)

func (a *app) eventsCommand() *cobra.Command {
	return group("events", "Show recorded events",
		a.eventsShowCommand(),
	)
}

func (a *app) eventsShowCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "One event by id, from whichever context holds it: its fields, then its data",
		Args:  exactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			resp, err := c.get(cmd.Context(), pathOf("admin", "events", args[0]), nil)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return printJSON(a.stdout, resp.body)
			}
			var e event
			if err := decode(resp, &e); err != nil {
				return err
			}
			a.printEvent(e)
			return nil
		},
	}
}

// printEvent writes an event's fields, aligned, then its data as indented JSON.
func (a *app) printEvent(e event) {
	fields := [][2]string{
		{"ID", e.ID},
		{"Type", e.Type},
		{"Schema version", strconv.Itoa(e.SchemaVersion)},
		{"Stream", e.StreamID},
		{"Version", strconv.Itoa(e.Version)},
		{"Context", e.Context},
		{"Position", num(e.Position)},
		{"Recorded at", e.RecordedAt},
		{"Actor", e.Metadata.ActorID},
		{"Trace", e.Metadata.TraceID},
		{"Causation", e.Metadata.CausationID},
		{"Correlation", e.Metadata.CorrelationID},
	}
	for _, f := range fields {
		v := sanitize(f[1])
		if v == "" {
			v = "-"
		}
		a.printf("%-15s %s\n", f[0]+":", v)
	}
	switch {
	case hasData(e.Data):
		var b bytes.Buffer
		if json.Indent(&b, e.Data, "", "  ") == nil {
			a.printf("\nData:\n%s\n", b.String())
		}
	case e.DataBase64 != "":
		a.printf("\nData (undecoded, base64):\n%s\n", sanitize(e.DataBase64))
	default:
		a.printf("\nData: {}\n")
	}
}

// hasData reports whether an event's data is a non-empty JSON value.
func hasData(d json.RawMessage) bool {
	t := string(bytes.TrimSpace(d))
	return t != "" && t != "null" && t != "{}"
}

// compactJSON is d on one line ("" when it is not JSON).
func compactJSON(d json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, d) != nil {
		return ""
	}
	return b.String()
}
