// Package config reads typed configuration from environment variables.
//
// A service describes its configuration as a struct and fills it once, at start, through an
// Env: every getter takes the variable's name and its default, and every bad value is
// remembered with the variable's name, so Err reports all of them at once and start-up stops
// with a message an operator can act on.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Env reads variables through a lookup function and collects errors.
// It is not safe for concurrent use; read configuration once, in main.
type Env struct {
	lookup func(string) (string, bool)
	errs   []error
}

// FromOS reads the process environment.
func FromOS() *Env { return &Env{lookup: os.LookupEnv} }

// FromMap reads a fixed set of variables; tests use it.
func FromMap(vars map[string]string) *Env {
	return &Env{lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }}
}

// Lookup returns the raw value of a variable and whether it is set to something non-empty.
func (e *Env) Lookup(name string) (string, bool) {
	v, ok := e.lookup(name)
	v = strings.TrimSpace(v)
	return v, ok && v != ""
}

// Fail records a problem with a variable, for checks a getter cannot make.
func (e *Env) Fail(name string, format string, args ...any) {
	e.errs = append(e.errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
}

// Err returns every problem found so far, one line each, or nil.
func (e *Env) Err() error {
	if len(e.errs) == 0 {
		return nil
	}
	return fmt.Errorf("invalid configuration:\n%w", errors.Join(e.errs...))
}

// String returns the variable or def.
func (e *Env) String(name, def string) string {
	if v, ok := e.Lookup(name); ok {
		return v
	}
	return def
}

// Int returns the variable parsed as a decimal integer within [min, max], or def.
func (e *Env) Int(name string, def, min, max int) int {
	v, ok := e.Lookup(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		e.Fail(name, "%q is not a whole number from %d to %d", v, min, max)
		return def
	}
	return n
}

// Bool returns the variable parsed by strconv.ParseBool, or def.
func (e *Env) Bool(name string, def bool) bool {
	v, ok := e.Lookup(name)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		e.Fail(name, "%q is not a boolean (true/false)", v)
		return def
	}
	return b
}

// Duration returns the variable parsed by time.ParseDuration (must be > 0), or def.
func (e *Env) Duration(name string, def time.Duration) time.Duration {
	v, ok := e.Lookup(name)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		e.Fail(name, "%q is not a positive duration such as 30s or 15m", v)
		return def
	}
	return d
}

// HostPort returns the variable as a host:port listen or dial address, or def.
func (e *Env) HostPort(name, def string) string {
	v, ok := e.Lookup(name)
	if !ok {
		return def
	}
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		e.Fail(name, "%q is not host:port", v)
		return def
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		e.Fail(name, "%q has an invalid port", v)
		return def
	}
	return net.JoinHostPort(host, port)
}

// URL returns the variable as an absolute URL whose scheme is one of schemes, or def.
// An empty def means "unset"; callers then pick a fallback themselves.
func (e *Env) URL(name, def string, schemes ...string) string {
	v, ok := e.Lookup(name)
	if !ok {
		return def
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" || (u.Host == "" && u.Opaque == "" && u.Path == "") {
		e.Fail(name, "%q is not an absolute URL", redact(v))
		return def
	}
	if len(schemes) > 0 && !slices.Contains(schemes, u.Scheme) {
		e.Fail(name, "scheme %q is not one of %s", u.Scheme, strings.Join(schemes, ", "))
		return def
	}
	return v
}

// Rate is a request budget: Limit requests per Period.
type Rate struct {
	Limit  int
	Period time.Duration
}

func (r Rate) String() string { return fmt.Sprintf("%d/%s", r.Limit, shortDuration(r.Period)) }

// ParseRate parses "5/15m", "100/1m" or "200/1h".
func ParseRate(s string) (Rate, error) {
	n, per, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Rate{}, fmt.Errorf("%q is not N/period such as 100/1m", s)
	}
	limit, err := strconv.Atoi(n)
	if err != nil || limit < 1 {
		return Rate{}, fmt.Errorf("%q: the count must be a whole number ≥ 1", s)
	}
	period, err := time.ParseDuration(per)
	if err != nil || period < time.Second {
		return Rate{}, fmt.Errorf("%q: the period must be a duration ≥ 1s such as 1m or 15m", s)
	}
	return Rate{Limit: limit, Period: period}, nil
}

// Rate returns the variable parsed by ParseRate, or def.
func (e *Env) Rate(name string, def Rate) Rate {
	v, ok := e.Lookup(name)
	if !ok {
		return def
	}
	r, err := ParseRate(v)
	if err != nil {
		e.Fail(name, "%v", err)
		return def
	}
	return r
}

func shortDuration(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	default:
		return d.String()
	}
}

// redact hides a password in a URL so that error messages can be logged.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}

// LogLevel returns the variable as a slog level (debug, info, warn, error), or def.
func (e *Env) LogLevel(name string, def slog.Level) slog.Level {
	v, ok := e.Lookup(name)
	if !ok {
		return def
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(v)); err != nil {
		e.Fail(name, "%q is not a log level (debug, info, warn, error)", v)
		return def
	}
	return l
}
