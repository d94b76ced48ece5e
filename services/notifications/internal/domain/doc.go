// Package domain composes the store's customer mails: which event calls for which mail, and
// its subject, text and HTML from the templates, with the store's name and the order's
// lines and totals. It does no I/O.
package domain
