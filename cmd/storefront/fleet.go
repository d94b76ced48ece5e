package main

// process is one program of the fleet, started by `storefront run` as a child process.
// A service joins `make run` by adding one entry to fleet (and its package to the Makefile's
// FLEET list).
type process struct {
	name   string
	binary string // file name in the -bin directory
	// grpcAddrEnv names the variable that holds a gRPC service's address: the launcher picks
	// a free port, gives it to every process (the gateway dials it), and waits for the
	// service's gRPC health to answer SERVING before starting the next process.
	grpcAddrEnv string
	// http is true for the edge: it gets STOREFRONT_HTTP_ADDR; readiness is GET /readyz.
	http bool
	// readyPath, for a process without gRPC server or edge (the projector), is the path on
	// its STOREFRONT_METRICS_ADDR that answers 200 once it is ready; the launcher waits for
	// it before starting the next process.
	readyPath string
}

// fleet lists the processes in start order; they stop in reverse order.
func fleet() []process {
	return []process{
		{name: "identity", binary: "identity", grpcAddrEnv: "STOREFRONT_IDENTITY_ADDR"},
		{name: "catalog", binary: "catalog", grpcAddrEnv: "STOREFRONT_CATALOG_ADDR"},
		{name: "cart", binary: "cart", grpcAddrEnv: "STOREFRONT_CART_ADDR"},
		{name: "payments", binary: "payments", grpcAddrEnv: "STOREFRONT_PAYMENTS_ADDR"},
		{name: "ordering", binary: "ordering", grpcAddrEnv: "STOREFRONT_ORDERING_ADDR"},
		// Before notifications, whose staff mails react to its stream.
		{name: "support", binary: "support", grpcAddrEnv: "STOREFRONT_SUPPORT_ADDR"},
		{name: "notifications", binary: "notifications", grpcAddrEnv: "STOREFRONT_NOTIFICATIONS_ADDR"},
		{name: "reviews", binary: "reviews", grpcAddrEnv: "STOREFRONT_REVIEWS_ADDR"},
		{name: "content", binary: "content", grpcAddrEnv: "STOREFRONT_CONTENT_ADDR"},
		// Before the projector: the audit read model reads its event store.
		{name: "operations", binary: "operations", grpcAddrEnv: "STOREFRONT_OPERATIONS_ADDR"},
		// Ready once every read model is built, so the catalog's, the cart's and the blog's queries find theirs.
		{name: "projector", binary: "projector", readyPath: "/readyz"},
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
