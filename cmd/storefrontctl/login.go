package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func (a *app) loginCommand() *cobra.Command {
	var email string
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Sign in as an admin and store the session for the server",
		Long: `Signs in to the server (--url) as an admin and stores the session (the token pair) in the
user's config directory (storefront/credentials.json, mode 0600), one per server. Later commands
use it when neither --token nor STOREFRONT_TOKEN is given, refreshing it when the access token
has expired. Tokens are never printed.

The email comes from --email or STOREFRONT_EMAIL, else it is asked; the password from
STOREFRONT_PASSWORD, else it is asked without echo. When stdin is not a terminal the email and
the password are read from it, one a line.`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.login(cmd.Context(), email)
		},
	}
	cmd.Flags().StringVar(&email, "email", "", "the admin's email (default $STOREFRONT_EMAIL, else asked)")
	return cmd
}

func (a *app) login(ctx context.Context, email string) error {
	base, err := a.baseURL()
	if err != nil {
		return err
	}
	store, err := a.settings.credentials()
	if err != nil {
		return err
	}
	in := bufio.NewReader(a.stdin)
	if email == "" {
		email = a.getenv("STOREFRONT_EMAIL")
	}
	if email == "" {
		if email, err = a.ask(in, "Email: "); err != nil {
			return err
		}
	}
	email = strings.TrimSpace(email)
	password := a.getenv("STOREFRONT_PASSWORD")
	if password == "" {
		if password, err = a.askSecret(in, "Password: "); err != nil {
			return err
		}
	}
	if email == "" || password == "" {
		return usageErrorf("login needs an email and a password")
	}

	body, err := json.Marshal(map[string]string{"email": email, "password": password})
	if err != nil {
		return fmt.Errorf("encoding the login: %w", err)
	}
	c := &apiClient{base: base, http: a.httpClient()}
	resp, err := c.send(ctx, http.MethodPost, "/auth/login", nil, body, "")
	if err != nil {
		return err
	}
	var pair tokenPair
	var u user
	if err := decode(resp, &pair); err != nil {
		return err
	}
	if pair.AccessToken == "" || json.Unmarshal(pair.User, &u) != nil {
		return fmt.Errorf("unexpected answer from %s to the login", base)
	}
	if u.Role != "admin" {
		return &apiError{Status: http.StatusForbidden, Code: "permission_denied",
			Message: fmt.Sprintf("%s is not an admin; the session was not stored", u.Email)}
	}
	err = store.put(base, session{
		AccessToken:  pair.AccessToken,
		RefreshToken: pair.RefreshToken,
		ExpiresAt:    expiresAt(pair.ExpiresIn),
		Email:        u.Email,
		UserID:       u.ID,
	})
	if err != nil {
		return err
	}
	if a.jsonOut {
		return printJSON(a.stdout, pair.User)
	}
	a.printf("logged in to %s as %s\n", base, sanitize(u.Email))
	return nil
}

// ask prompts for a line on a terminal, or reads the next line of piped input.
func (a *app) ask(in *bufio.Reader, prompt string) (string, error) {
	if a.settings.isTerminal(a.stdin) {
		fmt.Fprint(a.stderr, prompt)
	}
	line, err := in.ReadString('\n')
	if err != nil && (!errors.Is(err, io.EOF) || line == "") {
		return "", fmt.Errorf("reading %s: %w", strings.TrimSuffix(strings.ToLower(prompt), ": "), err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// askSecret prompts for a line without echo on a terminal, else reads it like ask.
func (a *app) askSecret(in *bufio.Reader, prompt string) (string, error) {
	f, ok := a.stdin.(interface{ Fd() uintptr })
	if !ok || !a.settings.isTerminal(a.stdin) {
		return a.ask(in, prompt)
	}
	fmt.Fprint(a.stderr, prompt)
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(a.stderr)
	if err != nil {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	return string(b), nil
}

func (a *app) logoutCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "Revoke and forget the stored session for the server",
		Long: `Revokes the session stored for the server (--url) on the server, when it answers, and
removes it from the credentials file.`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.logout(cmd.Context())
		},
	}
}

func (a *app) logout(ctx context.Context) error {
	base, err := a.baseURL()
	if err != nil {
		return err
	}
	store, err := a.settings.credentials()
	if err != nil {
		return err
	}
	c := &apiClient{base: base, http: a.httpClient(), store: store}
	if _, ok, err := store.get(base); err != nil {
		return err
	} else if !ok {
		a.printf("not logged in to %s\n", base)
		return nil
	}
	if err := c.revoke(ctx); err != nil {
		if ctx.Err() != nil {
			return err
		}
		fmt.Fprintf(a.stderr, "warning: the session could not be revoked on the server: %s\n", sanitize(err.Error()))
	}
	if _, err := store.remove(base); err != nil {
		return err
	}
	a.printf("logged out of %s\n", base)
	return nil
}

// revoke ends the stored session on the server (POST /auth/logout), refreshing it first if
// its access token has expired: the refresh token sent must be the current one.
func (c *apiClient) revoke(ctx context.Context) error {
	if _, err := c.accessToken(); err != nil {
		return err
	}
	for refreshed := false; ; refreshed = true {
		body, err := json.Marshal(map[string]string{"refresh_token": c.session.RefreshToken})
		if err != nil {
			return fmt.Errorf("encoding the logout: %w", err)
		}
		_, err = c.send(ctx, http.MethodPost, "/auth/logout", nil, body, c.session.AccessToken)
		var api *apiError
		if refreshed || !errors.As(err, &api) || api.Status != http.StatusUnauthorized {
			return err
		}
		if err := c.refresh(ctx); err != nil {
			return err
		}
	}
}
