// Package adapters holds the notifier's records in PostgreSQL and its mailers: SMTP through
// github.com/wneessen/go-mail, or .eml files in a directory where no SMTP server runs.
package adapters
