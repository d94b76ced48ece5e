package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/config"
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
	contentv1 "github.com/storefront/storefront/proto/storefront/content/v1"
	orderingv1 "github.com/storefront/storefront/proto/storefront/ordering/v1"
	typev1 "github.com/storefront/storefront/proto/storefront/type/v1"
	"github.com/storefront/storefront/services/catalog/demo"
	blogdemo "github.com/storefront/storefront/services/content/demo"
)

// demoWorkers is how many products the launcher creates at once: enough to load the demo
// catalog in about a second without starving the fleet that is starting next to it.
const demoWorkers = 8

// demoDataEnabled reads STOREFRONT_DEMO_DATA (default true): whether `storefront run` loads
// the demo catalog. Read before anything starts, so a bad value stops start-up at once.
func demoDataEnabled(env *config.Env) (bool, error) {
	on := env.Bool("STOREFRONT_DEMO_DATA", true)
	return on, env.Err()
}

// loadDemoCatalog loads the demo catalog (package demo) into the fleet's catalog service, and
// the demo discount and blog posts (services/content/demo) into theirs, in the background,
// through their gRPC commands, and logs what it created. It is idempotent, so every start
// loads it and only the first creates anything; the banner does not wait for it. A failure is logged and leaves the fleet running. The returned function stops the
// load if it still runs and waits for it; call it before the fleet stops.
func (l *launcher) loadDemoCatalog(ctx context.Context, env []string) (wait func()) {
	addr := lookup(env, "STOREFRONT_CATALOG_ADDR")
	if !inFleet("catalog") || addr == "" {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := loadDemo(ctx, l.log, addr); err != nil && !errors.Is(err, context.Canceled) {
			l.log.Error("demo catalog: load failed; the fleet runs on (STOREFRONT_DEMO_DATA=false skips it)", "catalog", addr, "err", err)
		}
		if ordering := lookup(env, "STOREFRONT_ORDERING_ADDR"); inFleet("ordering") && ordering != "" {
			if err := loadDemoDiscount(ctx, l.log, ordering); err != nil && !errors.Is(err, context.Canceled) {
				l.log.Error("demo discount: not created; the fleet runs on", "ordering", ordering, "err", err)
			}
		}
		identity, support := lookup(env, "STOREFRONT_IDENTITY_ADDR"), lookup(env, "STOREFRONT_SUPPORT_ADDR")
		if inFleet("support") && inFleet("identity") && identity != "" && support != "" {
			if err := loadDemoSupport(ctx, l.log, identity, support); err != nil && !errors.Is(err, context.Canceled) {
				l.log.Error("demo support conversation: not opened; the fleet runs on", "support", support, "err", err)
			}
		}
		reviews := lookup(env, "STOREFRONT_REVIEWS_ADDR")
		if inFleet("reviews") && inFleet("identity") && identity != "" && reviews != "" {
			if err := loadDemoReviews(ctx, l.log, identity, addr, reviews); err != nil && !errors.Is(err, context.Canceled) {
				l.log.Error("demo reviews: not loaded; the fleet runs on", "reviews", reviews, "err", err)
			}
		}
		if content := lookup(env, "STOREFRONT_CONTENT_ADDR"); inFleet("content") && content != "" {
			if err := loadDemoBlog(ctx, l.log, content); err != nil && !errors.Is(err, context.Canceled) {
				l.log.Error("demo blog posts: load failed; the fleet runs on", "content", content, "err", err)
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

func loadDemo(ctx context.Context, log *slog.Logger, addr string) error {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	res, err := demo.LoadDemo(demo.AdminContext(ctx), catalogv1.NewCatalogServiceClient(conn), demo.Options{Workers: demoWorkers})
	if err != nil {
		return err
	}
	log.Info("demo catalog loaded", "catalog", addr,
		"categories_created", res.CategoriesCreated, "categories_existing", res.CategoriesExisting,
		"products_created", res.ProductsCreated, "products_existing", res.ProductsExisting,
		"took", res.Took.Round(time.Millisecond))
	return nil
}

// DemoDiscountCode is the code the demo store offers a new shopper: 10 % off orders of 50.00
// or more.
const DemoDiscountCode = "WELCOME10"

// loadDemoDiscount creates the demo discount in the ordering service, once (a code that
// exists is left as it is).
func loadDemoDiscount(ctx context.Context, log *slog.Logger, addr string) error {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = orderingv1.NewOrderingServiceClient(conn).CreateDiscount(demo.AdminContext(ctx), &orderingv1.CreateDiscountRequest{
		Code: DemoDiscountCode, PercentOff: proto.Int32(10), MinSubtotal: &typev1.Money{Amount: "50.00", Currency: "USD"}})
	switch status.Code(err) {
	case codes.OK:
		log.Info("demo discount created", "code", DemoDiscountCode)
	case codes.AlreadyExists:
	default:
		return err
	}
	return nil
}

// loadDemoBlog creates the demo blog posts, published, in the content service, once (a post
// whose slug is taken is left as it is).
func loadDemoBlog(ctx context.Context, log *slog.Logger, addr string) error {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	res, err := blogdemo.Load(demo.AdminContext(ctx), contentv1.NewContentServiceClient(conn))
	if err != nil {
		return err
	}
	log.Info("demo blog posts loaded", "content", addr, "created", res.Created, "existing", res.Existing)
	return nil
}
