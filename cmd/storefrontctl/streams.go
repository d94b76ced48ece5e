package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/spf13/cobra"
)

// Stream pages: the API's default and largest page of a stream's events.
const (
	defaultStreamPage = 100
	maxStreamPage     = 1000
)

func (a *app) streamsCommand() *cobra.Command {
	return group("streams", "List the contexts' event streams, show and tail their events",
		a.streamsListCommand(),
		a.streamsShowCommand(),
		a.streamsTailCommand(),
	)
}

func (a *app) streamsListCommand() *cobra.Command {
	var (
		inContext, prefix string
		page, perPage     int
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "The streams of the contexts' event stores, by id",
		Args:  exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			setString(cmd, q, "context", "context", inContext)
			setString(cmd, q, "prefix", "prefix", prefix)
			setInt(cmd, q, "page", "page", page)
			setInt(cmd, q, "per-page", "per_page", perPage)
			c, err := a.client()
			if err != nil {
				return err
			}
			resp, err := c.get(cmd.Context(), "/admin/streams", q)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return printJSON(a.stdout, resp.body)
			}
			var list streamList
			if err := decode(resp, &list); err != nil {
				return err
			}
			t := newTable(a.stdout, "ID", "CONTEXT", "VERSION", "UPDATED")
			for _, s := range list.Items {
				t.row(s.ID, s.Context, strconv.Itoa(s.Version), s.UpdatedAt)
			}
			if err := t.flush(); err != nil {
				return err
			}
			a.printf("%s\n", pageFooter(list.Page, list.PerPage, list.Total, "streams"))
			return nil
		},
	}
	cmd.Flags().StringVar(&inContext, "context", "", "only the streams of this context (catalog, ordering, ...)")
	cmd.Flags().StringVar(&prefix, "prefix", "", "only the streams whose id starts with this")
	cmd.Flags().IntVar(&page, "page", 1, "page number")
	cmd.Flags().IntVar(&perPage, "per-page", 24, "streams per page (1..100)")
	return cmd
}

func (a *app) streamsShowCommand() *cobra.Command {
	var (
		inContext       string
		from, maxEvents int
	)
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "A stream's events in version order",
		Long: `Shows the events of the stream ID in version order, from version --from (default 1), at most
--max of them (default 100, at most 1000). A stream id found in two contexts needs --context.
'storefrontctl events show EVENT-ID' shows one event with its data.`,
		Args: exactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{}
			setString(cmd, q, "context", "context", inContext)
			setInt(cmd, q, "from", "from", from)
			setInt(cmd, q, "max", "max", maxEvents)
			c, err := a.client()
			if err != nil {
				return err
			}
			resp, err := c.get(cmd.Context(), pathOf("admin", "streams", args[0]), q)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return printJSON(a.stdout, resp.body)
			}
			var list eventList
			if err := decode(resp, &list); err != nil {
				return err
			}
			t := newTable(a.stdout, "VERSION", "TYPE", "RECORDED", "POSITION", "EVENT-ID", "ACTOR")
			for _, e := range list.Items {
				t.row(strconv.Itoa(e.Version), e.Type, e.RecordedAt, num(e.Position), e.ID, e.Metadata.ActorID)
			}
			if err := t.flush(); err != nil {
				return err
			}
			limit := defaultStreamPage
			if cmd.Flags().Changed("max") {
				limit = maxEvents
			}
			if n := len(list.Items); n > 0 && n >= limit {
				a.printf("more may follow: --from %d\n", list.Items[n-1].Version+1)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&inContext, "context", "", "the context holding the stream, when two have one with this id")
	cmd.Flags().IntVar(&from, "from", 1, "first version to show")
	cmd.Flags().IntVar(&maxEvents, "max", defaultStreamPage, "most events to show (at most 1000)")
	return cmd
}

func (a *app) streamsTailCommand() *cobra.Command {
	var (
		inContext string
		follow    bool
		interval  time.Duration
	)
	cmd := &cobra.Command{
		Use:   "tail ID",
		Short: "Print a stream's events, one a line; -f keeps printing new ones",
		Long: `Prints the events of the stream ID, one a line: version, time, type and data. With -f it
keeps polling every --interval for events after the last one printed, until interrupted
(Ctrl-C ends it with exit code 0); a server that fails or does not answer meanwhile is
reported and polled again. With --json each event is one JSON document a line (JSON Lines).`,
		Args: exactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if interval <= 0 {
				return usageErrorf("--interval must be positive")
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			return a.tail(cmd.Context(), c, args[0], inContext, follow, interval)
		},
	}
	cmd.Flags().StringVar(&inContext, "context", "", "the context holding the stream, when two have one with this id")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep polling for new events until interrupted")
	cmd.Flags().DurationVar(&interval, "interval", time.Second, "with -f: how often to poll")
	return cmd
}

// tail prints the stream from version 1 and, following, every event after the last printed.
func (a *app) tail(ctx context.Context, c *apiClient, id, streamContext string, follow bool, interval time.Duration) error {
	next := 1
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for first := true; ; first = false {
		// Read every event there is now, a page at a time.
		for {
			n, err := a.tailPage(ctx, c, id, streamContext, &next)
			switch {
			case err != nil && follow && ctx.Err() != nil:
				return nil // interrupted: the end of following
			case err != nil && follow && !first && transient(err):
				fmt.Fprintf(a.stderr, "warning: %s (retrying)\n", sanitize(err.Error()))
			case err != nil:
				return err
			}
			if n < maxStreamPage {
				break
			}
		}
		if !follow {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// tailPage prints one page of events from *next on and moves *next past them.
func (a *app) tailPage(ctx context.Context, c *apiClient, id, streamContext string, next *int) (int, error) {
	q := url.Values{"from": {strconv.Itoa(*next)}, "max": {strconv.Itoa(maxStreamPage)}}
	if streamContext != "" {
		q.Set("context", streamContext)
	}
	resp, err := c.get(ctx, pathOf("admin", "streams", id), q)
	if err != nil {
		return 0, err
	}
	var list struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := decode(resp, &list); err != nil {
		return 0, err
	}
	for _, raw := range list.Items {
		var e event
		if err := json.Unmarshal(raw, &e); err != nil {
			return 0, fmt.Errorf("unexpected answer from the API: %w", err)
		}
		if e.Version < *next {
			continue // already printed
		}
		*next = e.Version + 1
		if a.jsonOut {
			if err := printJSONLine(a.stdout, raw); err != nil {
				return 0, err
			}
			continue
		}
		a.printf("%d  %s  %s  %s\n", e.Version, sanitize(e.RecordedAt), sanitize(e.Type), eventDataLine(e))
	}
	return len(list.Items), nil
}

// eventDataLine is an event's data on one line: compact JSON, else its undecoded bytes.
func eventDataLine(e event) string {
	if hasData(e.Data) {
		return compactJSON(e.Data)
	}
	if e.DataBase64 != "" {
		return "base64:" + sanitize(e.DataBase64)
	}
	return "{}"
}

// setString adds a string flag to the query when it was given.
func setString(cmd *cobra.Command, q url.Values, flag, param, v string) {
	if cmd.Flags().Changed(flag) {
		q.Set(param, v)
	}
}

// setInt adds an int flag to the query when it was given; the API checks its range.
func setInt(cmd *cobra.Command, q url.Values, flag, param string, v int) {
	if cmd.Flags().Changed(flag) {
		q.Set(param, strconv.Itoa(v))
	}
}
