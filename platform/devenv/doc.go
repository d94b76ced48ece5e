// Package devenv finds or starts the servers the fleet needs on a developer's machine and in
// tests: PostgreSQL (a reachable server, or a private cluster from the installed binaries),
// NATS JetStream (embedded nats-server) and Redis (a reachable server, or none).
//
// Production never uses it: there every address comes from configuration.
package devenv
