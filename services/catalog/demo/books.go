package demo

import (
	"fmt"
	"strconv"
)

// books are the programming books of the demo catalog: invented titles, authors and
// publishers, with a pitch that reads like a back cover.
func books() []line {
	b := func(publisher, title, author string, pages, year int, price int64, pitch string) line {
		return line{brand: publisher, model: title, price: price, pitch: pitch, specs: []Spec{
			s("author", author, ""), s("pages", strconv.Itoa(pages), ""), s("published", strconv.Itoa(year), ""),
			s("language", "English", ""),
		}}
	}
	return []line{
		b("Lambda Press", "Channels and Contexts: Concurrent Go in Production", "Maren Holt", 412, 2025, 4499,
			"How to structure goroutines so that every one has an owner, a way to stop and a test that proves it."),
		b("Lambda Press", "The Event-Sourced Service", "Tomasz Wierzba", 388, 2024, 4999,
			"Aggregates, projections and sagas, built step by step on PostgreSQL, with the failure cases first."),
		b("Stackframe Books", "Rust Ownership from First Principles", "Ines Carvalho", 296, 2025, 3999,
			"Borrowing, lifetimes and interior mutability explained by building the data structures that need them."),
		b("Stackframe Books", "Postgres Internals for Application Developers", "Daniel Okafor", 448, 2024, 5499,
			"MVCC, the planner, WAL and vacuum, told from the side of the developer whose query just got slow."),
		b("Heapsort Publishing", "Designing Resilient gRPC APIs", "Priya Raman", 320, 2025, 4499,
			"Deadlines, retries, status codes and versioning for APIs that many teams depend on."),
		b("Heapsort Publishing", "Compilers by Hand: Building a Language in Go", "Aleksander Ny", 520, 2023, 5999,
			"A lexer, a parser, a type checker and a bytecode VM in plain Go, one chapter at a time."),
		b("Lambda Press", "Embedded Rust on Microcontrollers", "Sofia Lindqvist", 356, 2025, 4799,
			"From blinking an LED to async drivers and DMA on RP2040 and nRF52 boards."),
		b("Segfault House", "Practical Distributed Tracing", "Ken Watanabe", 272, 2024, 3999,
			"Instrumenting services with OpenTelemetry and reading traces to find the slow hop."),
		b("Segfault House", "Kubernetes Without the Magic", "Olu Adeyemi", 384, 2025, 4599,
			"What the control plane really does when you apply a manifest, and how to debug it when it does not."),
		b("Stackframe Books", "Type-Driven TypeScript", "Clara Jensen", 304, 2024, 3799,
			"Making illegal states unrepresentable with discriminated unions, branded types and generics."),
		b("Heapsort Publishing", "Algorithms for the Working Programmer", "Rafael Moreno", 576, 2023, 5499,
			"The algorithms that show up in real code reviews, with their costs measured rather than guessed."),
		b("Lambda Press", "Readable Python: Idioms, Tests and Tooling", "Hannah Becker", 340, 2025, 3999,
			"Modern Python with type hints, pytest and a fast toolchain, for code that others can maintain."),
		b("Segfault House", "Linux System Programming Field Guide", "Viktor Petrov", 464, 2024, 5299,
			"Processes, signals, file descriptors, epoll and io_uring, with a small C example for each."),
		b("Stackframe Books", "The Secure Code Review Handbook", "Amara Nwosu", 288, 2025, 4299,
			"Checklists and case studies for spotting injection, broken access control and secrets in a diff."),
		b("Heapsort Publishing", "Refactoring Legacy Java Services", "Marco Bianchi", 368, 2023, 4499,
			"Characterisation tests, seams and strangler figs for services nobody dares to touch."),
		b("Segfault House", "Zig for C Programmers", "Eva Novak", 248, 2025, 3699,
			"Comptime, explicit allocators and error unions, compared line by line with the C you already write."),
		b("Lambda Press", "Building a Key-Value Store from Scratch", "Jonas Meyer", 332, 2024, 4699,
			"Log-structured storage, compaction, replication and recovery in a store you write yourself."),
		b("Stackframe Books", "Functional Programming with Elixir and OTP", "Lucia Fernandez", 392, 2024, 4599,
			"Processes, supervisors and pattern matching for systems that heal themselves."),
	}
}

// isbn13 is the ISBN-13 of a 12-digit prefix, with its check digit.
func isbn13(first12 int64) string {
	d := fmt.Sprintf("%012d", first12)
	sum := 0
	for i, c := range d {
		n := int(c - '0')
		if i%2 == 1 {
			n *= 3
		}
		sum += n
	}
	return fmt.Sprintf("%s-%s-%s-%s-%d", d[:3], d[3:4], d[4:8], d[8:12], (10-sum%10)%10)
}
