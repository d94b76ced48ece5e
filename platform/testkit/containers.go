package testkit

import (
	"context"
	"errors"
	"sync"

	"github.com/testcontainers/testcontainers-go"
	tcnats "github.com/testcontainers/testcontainers-go/modules/nats"
	tcpostgres "github.com/testcontainers/testcontainers-go/modules/postgres"
)

// Container images used when a Docker engine is available. Containers are reaped by
// testcontainers' reaper when the test process exits.
const (
	postgresImage = "postgres:15-alpine"
	natsImage     = "nats:2.11-alpine"
)

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
