package main

import (
	"net/url"

	"github.com/spf13/cobra"
)

func (a *app) auditCommand() *cobra.Command {
	var page, perPage int
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "What admins did, newest first",
		Long: `Lists the admin actions (catalog, orders, discounts, the blog, reviews, rebuilds, redrives,
discards), newest first. A read model: an action may take a moment to show.`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			setInt(cmd, q, "page", "page", page)
			setInt(cmd, q, "per-page", "per_page", perPage)
			c, err := a.client()
			if err != nil {
				return err
			}
			resp, err := c.get(cmd.Context(), "/admin/audit", q)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return printJSON(a.stdout, resp.body)
			}
			var list auditList
			if err := decode(resp, &list); err != nil {
				return err
			}
			t := newTable(a.stdout, "AT", "ACTOR", "ACTION", "TARGET", "EVENT-ID")
			for _, e := range list.Items {
				t.row(e.At, e.ActorID, e.Action, e.Target, e.EventID)
			}
			if err := t.flush(); err != nil {
				return err
			}
			a.printf("%s\n", pageFooter(list.Page, list.PerPage, list.Total, "entries"))
			return nil
		},
	}
	cmd.Flags().IntVar(&page, "page", 1, "page number")
	cmd.Flags().IntVar(&perPage, "per-page", 24, "entries per page (1..100)")
	return cmd
}
