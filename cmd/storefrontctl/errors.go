package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// Exit codes, documented in the root command's help and the README. exitCode maps every
// error to one of them, in one place.
const (
	exitOK            = 0
	exitError         = 1 // anything else, unexpected errors included
	exitUsage         = 2 // bad flags or arguments, or the API's invalid_argument (400)
	exitAuth          = 3 // not logged in, not authenticated or not an admin (401, 403)
	exitNotFound      = 4 // 404
	exitConflict      = 5 // 409, e.g. a rebuild already running
	exitUnavailable   = 6 // 5xx, connection refused, timeout
	exitRebuildFailed = 7 // projections rebuild --wait saw the rebuild fail
)

// exitCodesHelp is the exit-code table shown in the root command's long help.
const exitCodesHelp = `Exit codes:
  0  ok
  1  other or unexpected error (also: interrupted, rate limited)
  2  usage error: bad flags or arguments, or the API rejected them (400 invalid_argument)
  3  not logged in, not authenticated or not an admin (401, 403)
  4  not found (404)
  5  conflict (409), e.g. a rebuild of that projection is already running
  6  the server failed or is unreachable (5xx, connection refused, timeout)
  7  projections rebuild --wait: the rebuild failed`

// usageError is a mistake in the command line itself.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// fieldDetail is one item of an API error's details.
type fieldDetail struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// apiError is a non-2xx answer of the API, with its error body when it had one.
type apiError struct {
	Status     int
	Code       string
	Message    string
	Details    []fieldDetail
	RetryAfter string
}

func (e *apiError) Error() string {
	code := e.Code
	if code == "" {
		code = fmt.Sprintf("HTTP %d %s", e.Status, http.StatusText(e.Status))
	}
	if e.Message == "" {
		return code
	}
	return code + ": " + e.Message
}

// notLoggedInError says that no token was given and none is stored for the server.
type notLoggedInError struct{ url string }

func (e notLoggedInError) Error() string {
	return fmt.Sprintf("not logged in to %s: run `storefrontctl login` or set STOREFRONT_TOKEN", e.url)
}

// unreachableError is a request that got no HTTP answer: refused, reset, timed out.
type unreachableError struct{ err error }

func (e unreachableError) Error() string { return "server unreachable: " + e.err.Error() }
func (e unreachableError) Unwrap() error { return e.err }

// rebuildFailedError is a rebuild that projections rebuild --wait saw fail.
type rebuildFailedError struct{ name, reason string }

func (e rebuildFailedError) Error() string {
	return fmt.Sprintf("the rebuild of %s failed: %s", e.name, e.reason)
}

// exitCode is the process exit code for err (nil → 0).
func exitCode(err error) int {
	var (
		usage   usageError
		api     *apiError
		noLogin notLoggedInError
		unreach unreachableError
		rebuild rebuildFailedError
	)
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &usage):
		return exitUsage
	case errors.As(err, &noLogin):
		return exitAuth
	case errors.As(err, &rebuild):
		return exitRebuildFailed
	case errors.As(err, &unreach):
		return exitUnavailable
	case errors.As(err, &api):
		switch {
		case api.Status == http.StatusBadRequest:
			return exitUsage
		case api.Status == http.StatusUnauthorized, api.Status == http.StatusForbidden:
			return exitAuth
		case api.Status == http.StatusNotFound:
			return exitNotFound
		case api.Status == http.StatusConflict:
			return exitConflict
		case api.Status >= 500:
			return exitUnavailable
		}
	}
	return exitError
}

// printError writes err for a human on w: the API's code and message, then each field
// detail on its own line.
func printError(w io.Writer, err error, commandPath string) {
	var (
		usage usageError
		api   *apiError
	)
	switch {
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(w, "error: interrupted")
	case errors.As(err, &usage):
		fmt.Fprintf(w, "error: %v\nRun '%s --help' for usage.\n", err, commandPath)
	case errors.As(err, &api):
		fmt.Fprintf(w, "error: %s\n", sanitize(err.Error()))
		for _, d := range api.Details {
			fmt.Fprintf(w, "  %s: %s\n", sanitize(d.Field), sanitize(d.Reason))
		}
		if api.RetryAfter != "" {
			fmt.Fprintf(w, "  retry after %ss\n", sanitize(api.RetryAfter))
		}
	default:
		fmt.Fprintf(w, "error: %s\n", sanitize(err.Error()))
	}
}
