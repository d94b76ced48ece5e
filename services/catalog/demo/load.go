package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/storefront/storefront/platform/grpcx"
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
)

// Actor is the user id the loader's commands are recorded under (the events' user_id).
const Actor = "system:demo-data"

// AdminContext returns ctx with the metadata a caller inside the fleet sends: the admin role
// and Actor as the user. The catalog reads them as the gateway's verified actor
// (grpcx.TrustedHeaders); its admin RPCs are guarded by the edge, not by the service.
func AdminContext(ctx context.Context) context.Context {
	return metadata.AppendToOutgoingContext(ctx, grpcx.MDUserID, Actor, grpcx.MDRole, "admin")
}

// Client is the part of catalogv1.CatalogServiceClient the loader uses.
type Client interface {
	CreateCategory(ctx context.Context, in *catalogv1.CreateCategoryRequest, opts ...grpc.CallOption) (*catalogv1.Category, error)
	CreateProduct(ctx context.Context, in *catalogv1.CreateProductRequest, opts ...grpc.CallOption) (*catalogv1.Product, error)
}

// ImageClient is the part of the catalog client that uploads pictures.
type ImageClient interface {
	AddProductImage(ctx context.Context, in *catalogv1.AddProductImageRequest, opts ...grpc.CallOption) (*catalogv1.Product, error)
}

// Options tune a load. The zero value is usable.
type Options struct {
	// Picture, when set, gives each product the load creates a picture to upload (the
	// client must be an ImageClient too); nil uploads none. Products of one category are
	// expected to share a picture: the first upload of each category runs alone, so the
	// catalog makes its renditions once and the others find them stored.
	Picture func(Product) (data []byte, alt string)
	// Workers is how many CreateProduct calls are in flight at once (default 8).
	Workers int
	// Retries is how often a call that failed transiently (unavailable, aborted, resource
	// exhausted, deadline exceeded) is tried again, with growing pauses (default 5).
	Retries int
	// CallTimeout bounds each call (default 30s).
	CallTimeout time.Duration
	// Log receives progress lines every ProgressEvery products; nil logs nothing.
	Log *slog.Logger
	// ProgressEvery is how many products pass between progress lines (default 10000).
	ProgressEvery int
}

func (o *Options) setDefaults() {
	if o.Workers <= 0 {
		o.Workers = 8
	}
	if o.Retries <= 0 {
		o.Retries = 5
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = 30 * time.Second
	}
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = 10000
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
}

// Result counts what a load did. Existing ones were there before (taken slug or SKU).
type Result struct {
	CategoriesCreated, CategoriesExisting int
	ProductsCreated, ProductsExisting     int
	Took                                  time.Duration
}

// LoadDemo loads the demo catalog: Load(ctx, client, Categories(), Products(), opts), each
// product with a generated picture of its category (Picture) uploaded to the media store in
// place of the catalog's illustrative URLs, which resolve nowhere.
func LoadDemo(ctx context.Context, client Client, opts Options) (Result, error) {
	products := Products()
	for i := range products {
		products[i].Images = nil
	}
	if opts.Picture == nil {
		pictures := newPictures()
		opts.Picture = func(p Product) ([]byte, string) { return pictures.of(p.Category), p.Name }
	}
	return Load(ctx, client, Categories(), products, opts)
}

// Load creates the categories, one at a time in the order given (parents first), then the
// products, opts.Workers at a time, through the catalog's public commands. A category or
// product that already exists (AlreadyExists: its slug or SKU is taken) counts as
// existing, so a second load of the same data creates nothing. The first other failure
// stops the load: Load returns it, naming the category or product, with the counts so far.
// ctx must carry what the catalog needs to accept admin commands (AdminContext).
func Load(ctx context.Context, client Client, categories []Category, products []Product, opts Options) (Result, error) {
	opts.setDefaults()
	start := time.Now()
	var res Result
	for _, c := range categories {
		created, err := call(ctx, opts, func(ctx context.Context) error {
			_, err := client.CreateCategory(ctx, c.Request())
			return err
		})
		if err != nil {
			res.Took = time.Since(start)
			return res, fmt.Errorf("create category %s: %w", c.Slug, err)
		}
		if created {
			res.CategoriesCreated++
		} else {
			res.CategoriesExisting++
		}
	}

	var created, existing atomic.Int64
	var firstPicture sync.Map // category → *sync.Mutex, held during its first upload
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(opts.Workers)
	for _, p := range products {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			var made *catalogv1.Product
			ok, err := call(gctx, opts, func(ctx context.Context) (err error) {
				made, err = client.CreateProduct(ctx, p.Request())
				return err
			})
			if err != nil {
				return fmt.Errorf("create product %s: %w", p.SKU, err)
			}
			if ok && opts.Picture != nil {
				mu, _ := firstPicture.LoadOrStore(p.Category, &sync.Mutex{})
				mu.(*sync.Mutex).Lock()
				err := addPicture(gctx, client, opts, made.GetId(), p)
				mu.(*sync.Mutex).Unlock()
				if err != nil {
					return fmt.Errorf("picture of product %s: %w", p.SKU, err)
				}
			}
			var done int64
			if ok {
				done = created.Add(1) + existing.Load()
			} else {
				done = existing.Add(1) + created.Load()
			}
			if done%int64(opts.ProgressEvery) == 0 {
				opts.Log.Info("loading products", "done", done, "of", len(products),
					"rate_per_s", int(float64(done)/time.Since(start).Seconds()))
			}
			return nil
		})
	}
	err := g.Wait()
	if err == nil {
		err = ctx.Err() // the loop stops early only when ctx ended
	}
	res.ProductsCreated, res.ProductsExisting = int(created.Load()), int(existing.Load())
	res.Took = time.Since(start)
	return res, err
}

func addPicture(ctx context.Context, client Client, opts Options, productID string, p Product) error {
	images, ok := client.(ImageClient)
	if !ok {
		return fmt.Errorf("the catalog client cannot upload pictures")
	}
	data, alt := opts.Picture(p)
	_, err := call(ctx, opts, func(ctx context.Context) error {
		_, err := images.AddProductImage(ctx, &catalogv1.AddProductImageRequest{ProductId: productID, File: data, Alt: alt}, grpc.MaxCallSendMsgSize(len(data)+64<<10))
		return err
	})
	return err
}

// call runs one command with a timeout, retrying transient failures. It reports whether
// the command created something (false: it existed already).
func call(ctx context.Context, opts Options, do func(context.Context) error) (bool, error) {
	pause := 50 * time.Millisecond
	for attempt := 0; ; attempt++ {
		cctx, cancel := context.WithTimeout(ctx, opts.CallTimeout)
		err := do(cctx)
		cancel()
		switch code := status.Code(err); {
		case err == nil:
			return true, nil
		case code == codes.AlreadyExists:
			return false, nil
		case ctx.Err() != nil:
			return false, ctx.Err()
		case attempt < opts.Retries && transient(code):
			select {
			case <-ctx.Done():
				return false, errors.Join(err, ctx.Err())
			case <-time.After(pause):
			}
			pause *= 2
		default:
			return false, err
		}
	}
}

func transient(c codes.Code) bool {
	switch c {
	case codes.Unavailable, codes.Aborted, codes.ResourceExhausted, codes.DeadlineExceeded:
		return true
	}
	return false
}
