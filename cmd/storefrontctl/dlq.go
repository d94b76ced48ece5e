package main

import (
	"net/url"
	"strconv"

	"github.com/spf13/cobra"
)

func (a *app) dlqCommand() *cobra.Command {
	return group("dlq", "List, redrive and discard dead letters (events a consumer parked)",
		a.dlqListCommand(),
		a.dlqRedriveCommand(),
		a.dlqDiscardCommand(),
	)
}

func (a *app) dlqListCommand() *cobra.Command {
	var (
		consumer      string
		page, perPage int
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "The unresolved dead letters of every consumer, oldest first",
		Long: `Lists the unresolved dead letters of every consumer (projections, "reaction:<name>",
"timer:<kind>"), oldest first; --projection keeps those of one consumer.`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			setString(cmd, q, "projection", "projection", consumer)
			setInt(cmd, q, "page", "page", page)
			setInt(cmd, q, "per-page", "per_page", perPage)
			c, err := a.client()
			if err != nil {
				return err
			}
			resp, err := c.get(cmd.Context(), "/admin/dead-letters", q)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return printJSON(a.stdout, resp.body)
			}
			var list deadLetterList
			if err := decode(resp, &list); err != nil {
				return err
			}
			t := newTable(a.stdout, "ID", "CONSUMER", "REASON", "ATTEMPTS", "PARKED", "EVENT-TYPE", "STREAM", "ERROR")
			for _, d := range list.Items {
				reason := d.Reason
				if d.Requested != "" {
					reason += " (" + d.Requested + " requested)"
				}
				t.row(d.ID, d.Projection, reason, strconv.Itoa(d.Attempts), d.ParkedAt, d.Event.Type, d.Event.StreamID, truncate(d.Error, 60))
			}
			if err := t.flush(); err != nil {
				return err
			}
			if list.PerPage > 0 {
				a.printf("%s\n", pageFooter(list.Page, list.PerPage, list.Total, "dead letters"))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&consumer, "projection", "", "only the dead letters of this consumer (a projection, reaction:<name>, timer:<kind>)")
	cmd.Flags().IntVar(&page, "page", 1, "page number")
	cmd.Flags().IntVar(&perPage, "per-page", 24, "dead letters per page (1..100)")
	return cmd
}

func (a *app) dlqRedriveCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "redrive ID",
		Short: "Ask the consumer that parked a dead letter to handle its event again",
		Long: `Asks the consumer that parked the dead letter ID to handle its event again (a projection
also applies the events of its stream parked behind it). Success resolves it; a new failure
keeps it parked with the new error and one more attempt: check with 'storefrontctl dlq list'.`,
		Args: exactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			resp, err := c.post(cmd.Context(), pathOf("admin", "dead-letters", args[0], "redrive"), nil)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return printJSON(a.stdout, resp.body)
			}
			var d deadLetter
			if err := decode(resp, &d); err != nil {
				return err
			}
			a.printf("dead letter %s: redrive requested (consumer %s, event %s)\n",
				sanitize(args[0]), sanitize(d.Projection), sanitize(d.Event.Type))
			return nil
		},
	}
}

func (a *app) dlqDiscardCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "discard ID",
		Short: "Give up on a dead letter: resolve it without handling its event",
		Args:  exactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			resp, err := c.post(cmd.Context(), pathOf("admin", "dead-letters", args[0], "discard"), nil)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return printJSON(a.stdout, resp.body)
			}
			a.printf("dead letter %s: discarded\n", sanitize(args[0]))
			return nil
		},
	}
}
