package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

const (
	defaultURL     = "http://127.0.0.1:8080"
	defaultTimeout = 30 * time.Second
)

// settings are the knobs of the CLI that are not flags: tests change them.
type settings struct {
	// progressEvery is how often rebuild --wait prints a progress line when not on a terminal.
	progressEvery time.Duration
	// isTerminal reports whether a reader or writer is an interactive terminal.
	isTerminal func(v any) bool
	// credentials is where login keeps the sessions.
	credentials func() (credentialStore, error)
}

func defaultSettings() settings {
	return settings{progressEvery: time.Second, isTerminal: isTerminal, credentials: defaultCredentialStore}
}

// isTerminal reports whether v is a file that is a terminal.
func isTerminal(v any) bool {
	f, ok := v.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}

// app is one invocation of the CLI: its streams, environment, global flags and settings.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	settings       settings

	url     string
	token   string
	jsonOut bool
	timeout time.Duration

	root *cobra.Command
	// started is set once a command's own code runs: an error before is cobra's parsing of
	// the command line, a usage error.
	started bool
}

// run executes the command line args and returns the process's exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	return runWith(ctx, args, stdin, stdout, stderr, getenv, defaultSettings())
}

func runWith(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string, s settings) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv, settings: s}
	a.root = a.rootCommand()
	a.root.SetArgs(args)
	cmd, err := a.root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	if !a.started {
		var usage usageError
		if !errors.As(err, &usage) {
			err = usageError{err}
		}
	}
	path := a.root.CommandPath()
	if cmd != nil {
		path = cmd.CommandPath()
	}
	printError(stderr, err, path)
	return exitCode(err)
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "storefrontctl",
		Short: "Operate a Storefront fleet: projections, event streams, dead letters, audit",
		Long: `storefrontctl is the operators' command line for a Storefront fleet. It talks to the REST
API's admin endpoints (/api/v1/admin/...) with an admin's access token.

Credentials: --token or STOREFRONT_TOKEN, else the session stored by 'storefrontctl login'
(in the user's config directory, storefront/credentials.json, mode 0600; refreshed
automatically when the access token has expired). 'storefrontctl logout' forgets it.

Output: aligned tables for people; --json prints the API's JSON document as received
(indented), for scripts.

Shell completion: 'storefrontctl completion bash|zsh|fish|powershell --help'.

` + exitCodesHelp,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(*cobra.Command, []string) error {
			a.started = true
			if a.timeout < 0 {
				return usageErrorf("--timeout must not be negative")
			}
			return nil
		},
	}
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })

	f := root.PersistentFlags()
	f.StringVar(&a.url, "url", "", "the Storefront API's base URL (default $STOREFRONT_URL, else "+defaultURL+")")
	f.StringVar(&a.token, "token", "", "an admin's access token (default $STOREFRONT_TOKEN, else the stored login)")
	f.BoolVar(&a.jsonOut, "json", false, "print the API's JSON (one document, indented) instead of tables")
	f.DurationVar(&a.timeout, "timeout", defaultTimeout, "how long one API request may take (0: no limit)")

	root.AddCommand(
		a.loginCommand(),
		a.logoutCommand(),
		a.projectionsCommand(),
		a.streamsCommand(),
		a.eventsCommand(),
		a.dlqCommand(),
		a.auditCommand(),
	)
	return root
}

// group is a command that only holds subcommands: alone it prints its help, with an
// unknown subcommand it is a usage error (cobra would print the help and succeed).
func group(use, short string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			return usageErrorf("unknown command %q for %q", args[0], cmd.CommandPath())
		},
	}
	c.AddCommand(subs...)
	return c
}

// exactArgs is cobra.ExactArgs naming what the arguments are.
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != len(names) {
			return usageErrorf("%s takes %d argument(s) (%v), got %d", cmd.CommandPath(), len(names), names, len(args))
		}
		for i, arg := range args {
			if arg == "" {
				return usageErrorf("%s: %s must not be empty", cmd.CommandPath(), names[i])
			}
		}
		return nil
	}
}

// baseURL is the server's URL: --url, else STOREFRONT_URL, else the local default.
func (a *app) baseURL() (string, error) {
	raw := a.url
	if !a.root.PersistentFlags().Changed("url") {
		raw = a.getenv("STOREFRONT_URL")
	}
	if raw == "" {
		raw = defaultURL
	}
	return parseBaseURL(raw)
}

// httpClient is the HTTP client of one invocation.
func (a *app) httpClient() *http.Client {
	return &http.Client{Timeout: a.timeout}
}

// client is the API client, authenticated by --token, STOREFRONT_TOKEN or the stored login.
func (a *app) client() (*apiClient, error) {
	base, err := a.baseURL()
	if err != nil {
		return nil, err
	}
	c := &apiClient{base: base, http: a.httpClient(), token: a.token}
	if !a.root.PersistentFlags().Changed("token") {
		c.token = a.getenv("STOREFRONT_TOKEN")
	}
	if a.root.PersistentFlags().Changed("token") && a.token == "" {
		return nil, usageErrorf("--token must not be empty")
	}
	if c.token == "" {
		if c.store, err = a.settings.credentials(); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// printf writes human output; errors writing stdout are not worth a second message.
func (a *app) printf(format string, args ...any) {
	fmt.Fprintf(a.stdout, format, args...)
}
