package testkit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/testcontainers/testcontainers-go"
	tcnats "github.com/testcontainers/testcontainers-go/modules/nats"
	tcpostgres "github.com/testcontainers/testcontainers-go/modules/postgres"
	"github.com/testcontainers/testcontainers-go/wait"
)

// Container images used when a Docker engine is available. Containers are reaped by
// testcontainers' reaper when the test process exits.
const (
	postgresImage   = "postgres:15-alpine"
	natsImage       = "nats:2.11-alpine"
	eventStoreImage = "eventstore/eventstore:24.10"
)

// EventStoreDBURLEnv names the variable that points tests at an EventStoreDB server, as a
// connection string such as "esdb://127.0.0.1:2113?tls=false".
const EventStoreDBURLEnv = "STOREFRONT_TEST_EVENTSTORE_URL"

// ErrNoEventStoreDB means neither EventStoreDBURLEnv nor a Docker engine gives an
// EventStoreDB. Unlike PostgreSQL and NATS, EventStoreDB is an optional backend that this
// package cannot start from installed binaries, so its tests may skip on this error.
var ErrNoEventStoreDB = errors.New("no EventStoreDB: set " + EventStoreDBURLEnv + " or run a Docker engine")

var errNoDocker = errors.New("no Docker engine")

// dockerOnce caches whether a Docker engine answers; the probe is slow when none does.
var dockerOnce = sync.OnceValue(func() bool {
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		return false
	}
	defer p.Close()
	return p.Health(context.Background()) == nil
})

var natsContainerOnce = sync.OnceValues(func() (string, error) {
	ctx := context.Background()
	c, err := tcnats.Run(ctx, natsImage)
	if err != nil {
		return "", err
	}
	return c.ConnectionString(ctx)
})

func postgresContainer(ctx context.Context) (string, error) {
	if !dockerOnce() {
		return "", errNoDocker
	}
	c, err := tcpostgres.Run(ctx, postgresImage,
		tcpostgres.WithUsername("postgres"),
		tcpostgres.WithPassword("postgres"),
		tcpostgres.WithDatabase("postgres"),
		tcpostgres.BasicWaitStrategies(),
	)
	if err != nil {
		return "", err
	}
	return c.ConnectionString(ctx, "sslmode=disable")
}

func natsContainer(context.Context) (string, error) {
	if !dockerOnce() {
		return "", errNoDocker
	}
	return natsContainerOnce()
}

// EventStoreDBURL returns the connection string of an EventStoreDB for tests: the value of
// EventStoreDBURLEnv when set, else that of a container (insecure, projections off, in
// memory) started once per test process when a Docker engine answers, else an error matching
// ErrNoEventStoreDB.
func EventStoreDBURL() (string, error) {
	if url, ok := os.LookupEnv(EventStoreDBURLEnv); ok && url != "" {
		return url, nil
	}
	if !dockerOnce() {
		return "", ErrNoEventStoreDB
	}
	return eventStoreContainerOnce()
}

var eventStoreContainerOnce = sync.OnceValues(func() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := testcontainers.Run(ctx, eventStoreImage,
		testcontainers.WithExposedPorts("2113/tcp"),
		testcontainers.WithEnv(map[string]string{
			"EVENTSTORE_INSECURE":                   "true",
			"EVENTSTORE_CLUSTER_SIZE":               "1",
			"EVENTSTORE_RUN_PROJECTIONS":            "None",
			"EVENTSTORE_START_STANDARD_PROJECTIONS": "false",
			"EVENTSTORE_MEM_DB":                     "true",
		}),
		testcontainers.WithWaitStrategy(wait.ForHTTP("/health/live").WithPort("2113/tcp").
			WithStatusCodeMatcher(func(status int) bool { return status == 200 || status == 204 }).
			WithStartupTimeout(3*time.Minute)),
	)
	if err != nil {
		return "", fmt.Errorf("start %s: %w", eventStoreImage, err)
	}
	endpoint, err := c.PortEndpoint(ctx, "2113/tcp", "")
	if err != nil {
		return "", err
	}
	return "esdb://" + endpoint + "?tls=false", nil
})
