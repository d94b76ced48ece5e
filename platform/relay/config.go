package relay

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/storefront/storefront/platform/bus/natsbus"
)

// Config tunes a Relay. Zero fields take the defaults documented on each field; Context and
// Schema are required.
type Config struct {
	// Context is the bounded context whose events the relay publishes: it names the subjects
	// (<context>.<aggregate>.<EventName>) and the JetStream stream (natsbus.StreamName).
	// Lower-case letters, digits, '_' and '-', starting with a letter. Required.
	Context string
	// Schema is the PostgreSQL schema of the owning service: it holds the event store and the
	// relay_checkpoints table, names the store's notify channel, and keys the leader lease.
	// Lower-case letters, digits and '_', starting with a letter. Required.
	Schema string

	// PrivateTypes are event types (full protobuf names) that stay inside the context: they
	// hold secrets (password hashes, token hashes) or matter to no one else. The relay skips
	// them; they still advance its checkpoint.
	PrivateTypes []string

	// BatchSize is the most events read from the log at once. Default 500.
	BatchSize int
	// MaxInFlight bounds the publishes awaiting their JetStream ack. Default 256.
	MaxInFlight int
	// AckTimeout fails a publish whose ack has not come back in time (it is then retried).
	// Default 5s.
	AckTimeout time.Duration
	// PollInterval is how often the log is read when no notification arrives, the fallback
	// for a missed one. Default 1s.
	PollInterval time.Duration

	// LeaseRetryInterval is how often a standby tries to take the lease. Default 1s.
	LeaseRetryInterval time.Duration
	// LeaseCheckInterval is how often the leader checks, when idle, that the connection
	// holding its lease is alive. Default 500ms.
	LeaseCheckInterval time.Duration

	// StreamReplicas is the replica count of the JetStream stream (1 locally, 3 in
	// production). Default 1.
	StreamReplicas int
	// StreamMaxAge is how long the stream keeps messages; it must cover the duplicate window.
	// Default 7 days.
	StreamMaxAge time.Duration

	// RetryMin and RetryMax bound the exponential backoff between retries of a failing
	// operation. Defaults 100ms and 10s.
	RetryMin, RetryMax time.Duration
}

// Defaults of Config.
const (
	DefaultBatchSize          = 500
	DefaultMaxInFlight        = 256
	DefaultAckTimeout         = 5 * time.Second
	DefaultPollInterval       = time.Second
	DefaultLeaseRetryInterval = time.Second
	DefaultLeaseCheckInterval = 500 * time.Millisecond
	DefaultStreamReplicas     = 1
	DefaultStreamMaxAge       = 7 * 24 * time.Hour
	DefaultRetryMin           = 100 * time.Millisecond
	DefaultRetryMax           = 10 * time.Second
)

var (
	validContext = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,63}$`)
	validSchema  = regexp.MustCompile(`^[a-z][a-z0-9_]{0,40}$`)
)

func (c *Config) setDefaults() {
	setIfZero(&c.BatchSize, DefaultBatchSize)
	setIfZero(&c.MaxInFlight, DefaultMaxInFlight)
	setIfZero(&c.AckTimeout, DefaultAckTimeout)
	setIfZero(&c.PollInterval, DefaultPollInterval)
	setIfZero(&c.LeaseRetryInterval, DefaultLeaseRetryInterval)
	setIfZero(&c.LeaseCheckInterval, DefaultLeaseCheckInterval)
	setIfZero(&c.StreamReplicas, DefaultStreamReplicas)
	setIfZero(&c.StreamMaxAge, DefaultStreamMaxAge)
	setIfZero(&c.RetryMin, DefaultRetryMin)
	setIfZero(&c.RetryMax, DefaultRetryMax)
}

func setIfZero[T int | time.Duration](p *T, v T) {
	if *p == 0 {
		*p = v
	}
}

// Validate reports every problem of the configuration, once defaults are applied.
func (c Config) Validate() error {
	c.setDefaults()
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !validContext.MatchString(c.Context) {
		bad("Context %q: want lower-case letters, digits, '_' or '-', starting with a letter", c.Context)
	}
	if !validSchema.MatchString(c.Schema) {
		bad("Schema %q: want lower-case letters, digits or '_', starting with a letter", c.Schema)
	}
	if c.BatchSize < 1 || c.BatchSize > 10_000 {
		bad("BatchSize %d: want 1..10000", c.BatchSize)
	}
	if c.MaxInFlight < 1 || c.MaxInFlight > 65_536 {
		bad("MaxInFlight %d: want 1..65536", c.MaxInFlight)
	}
	const minInterval = 10 * time.Millisecond
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"AckTimeout", c.AckTimeout},
		{"PollInterval", c.PollInterval},
		{"LeaseRetryInterval", c.LeaseRetryInterval},
		{"LeaseCheckInterval", c.LeaseCheckInterval},
		{"RetryMin", c.RetryMin},
	} {
		if d.v < minInterval {
			bad("%s %v: want at least %v", d.name, d.v, minInterval)
		}
	}
	if c.RetryMax < c.RetryMin {
		bad("RetryMax %v: want at least RetryMin (%v)", c.RetryMax, c.RetryMin)
	}
	if c.StreamReplicas < 1 || c.StreamReplicas > 5 {
		bad("StreamReplicas %d: want 1..5", c.StreamReplicas)
	}
	if window := natsbus.StreamConfig("x", 1, 0).Duplicates; c.StreamMaxAge < window {
		bad("StreamMaxAge %v: want at least the stream's duplicate window (%v)", c.StreamMaxAge, window)
	}
	if len(errs) > 0 {
		return fmt.Errorf("relay: config: %w", errors.Join(errs...))
	}
	return nil
}
