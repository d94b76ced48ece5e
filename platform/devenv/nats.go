package devenv

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// LocalNATSURL is the JetStream server the machine is expected to run.
const LocalNATSURL = "nats://127.0.0.1:4222"

// NATSAnswers reports whether a NATS server with JetStream enabled answers at url.
func NATSAnswers(ctx context.Context, url string) bool {
	nc, err := nats.Connect(url, nats.Timeout(2*time.Second), nats.NoReconnect())
	if err != nil {
		return false
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	js, err := nc.JetStream(nats.Context(ctx))
	if err != nil {
		return false
	}
	_, err = js.AccountInfo(nats.Context(ctx))
	return err == nil
}

// EmbeddedNATS is a nats-server with JetStream running inside this process.
type EmbeddedNATS struct {
	srv *server.Server
}

// StartEmbeddedNATS starts a JetStream-enabled nats-server on 127.0.0.1:port (0 picks a free
// port) that stores its streams under storeDir, so they survive a restart.
func StartEmbeddedNATS(storeDir string, port int) (*EmbeddedNATS, error) {
	if port == 0 {
		port = server.RANDOM_PORT
	}
	opts := &server.Options{
		ServerName: "storefront-dev",
		Host:       "127.0.0.1",
		Port:       port,
		JetStream:  true,
		StoreDir:   storeDir,
		NoSigs:     true,
		// A developer's machine: keep memory modest, disk generous.
		JetStreamMaxMemory: 256 << 20,
		JetStreamMaxStore:  8 << 30,
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("configure embedded nats-server: %w", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		return nil, fmt.Errorf("embedded nats-server did not start within 10s")
	}
	return &EmbeddedNATS{srv: srv}, nil
}

// URL is the client URL of the server.
func (n *EmbeddedNATS) URL() string {
	addr := n.srv.Addr().(*net.TCPAddr)
	return fmt.Sprintf("nats://127.0.0.1:%d", addr.Port)
}

// Shutdown stops the server after flushing JetStream state to disk.
func (n *EmbeddedNATS) Shutdown() {
	n.srv.Shutdown()
	n.srv.WaitForShutdown()
}
