// Package testkit finds the servers that integration tests talk to.
//
// Order, for PostgreSQL and NATS alike: the STOREFRONT_TEST_DATABASE_URL /
// STOREFRONT_TEST_NATS_URL variables; the machine's servers on 127.0.0.1:5432 / :4222;
// containers through testcontainers-go when a Docker engine answers; else a private
// PostgreSQL cluster from the installed binaries / an embedded nats-server. When none of
// these works the test fails with a message that says what to start: it never skips.
//
// Subpackages pgtest and natstest give each test its own database and its own streams.
package testkit
