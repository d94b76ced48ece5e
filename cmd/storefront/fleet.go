package main

// process is one program of the fleet, started by `storefront run` as a child process.
// A service joins `make run` by adding one entry to fleet (and its package to the Makefile's
// FLEET list).
type process struct {
	name   string
	binary string // file name in the -bin directory
	// http is true for the edge: it gets STOREFRONT_HTTP_ADDR; readiness is GET /readyz.
	http bool
}

// fleet lists the processes in start order; they stop in reverse order.
func fleet() []process {
	return []process{
		{name: "gateway", binary: "gateway", http: true},
	}
}

func inFleet(name string) bool {
	for _, p := range fleet() {
		if p.name == name {
			return true
		}
	}
	return false
}
