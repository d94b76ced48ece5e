package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/storefront/storefront/platform/grpcx"
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
	identityv1 "github.com/storefront/storefront/proto/storefront/identity/v1"
	reviewsv1 "github.com/storefront/storefront/proto/storefront/reviews/v1"
	"github.com/storefront/storefront/services/catalog/demo"
)

// demoReviewer is a shopper whose reviews the demo store shows. Their accounts are real
// (registered through identity, so a review's author is a user like any other) with a random
// password nobody knows.
type demoReviewer struct{ email, name string }

var demoReviewers = []demoReviewer{
	{"ada@reviewers.demo.storefront.dev", "Ada L."},
	{"grace@reviewers.demo.storefront.dev", "Grace H."},
	{"linus@reviewers.demo.storefront.dev", "Linus T."},
	{"barbara@reviewers.demo.storefront.dev", "Barbara L."},
}

// demoReviewTexts are what the reviewers say, by rating.
var demoReviewTexts = map[int32][2]string{
	5: {"Exactly what my desk needed", "Solid build, works out of the box on Linux, and it has survived a month of daily use without a hiccup."},
	4: {"Very good, one small gripe", "Does everything it promises. The documentation could be better, but the hardware is excellent for the price."},
	3: {"Fine for the money", "It works. Nothing special, nothing broken; I would look at the next model up if you can stretch the budget."},
	2: {"Not for heavy use", "Started well, but it shows wear after a few weeks of heavy use. Support answered quickly, to be fair."},
}

// demoReviews picks the demo reviews: every fifth demo product gets a review from up to three
// reviewers, with ratings that vary from product to product (so rating_desc sorts
// something).
func demoReviews() (slugs []string, byProduct [][]int32) {
	for i, p := range demo.Products() {
		if i%5 != 0 {
			continue
		}
		n := 1 + i%3
		ratings := make([]int32, 0, n)
		for r := range n {
			ratings = append(ratings, int32(5-(i/5+r*2)%4))
		}
		slugs, byProduct = append(slugs, p.Slug), append(byProduct, ratings)
	}
	return slugs, byProduct
}

// unknowablePassword is a random password that passes identity's policy whatever the
// account's e-mail: one letter and 30 random digits, so it can never contain a local part
// (hex could: "ada" is hex).
func unknowablePassword() string {
	digits := make([]byte, 30)
	_, _ = rand.Read(digits)
	for i, d := range digits {
		digits[i] = '0' + d%10
	}
	return "x" + string(digits)
}

// loadDemoReviews registers the demo reviewers and writes their reviews of demo products,
// once: when the first reviewer's account exists already, an earlier start has loaded them.
func loadDemoReviews(ctx context.Context, log *slog.Logger, identityAddr, catalogAddr, reviewsAddr string) error {
	conns := map[string]*grpc.ClientConn{}
	for name, addr := range map[string]string{"identity": identityAddr, "catalog": catalogAddr, "reviews": reviewsAddr} {
		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		defer conn.Close()
		conns[name] = conn
	}
	identity := identityv1.NewIdentityServiceClient(conns["identity"])
	catalog := catalogv1.NewCatalogServiceClient(conns["catalog"])
	reviews := reviewsv1.NewReviewServiceClient(conns["reviews"])

	var userIDs []string
	for i, r := range demoReviewers {
		res, err := identity.Register(ctx, &identityv1.RegisterRequest{Email: r.email, Name: r.name, Password: unknowablePassword()})
		switch {
		case status.Code(err) == codes.AlreadyExists && i == 0:
			return nil // loaded by an earlier start
		case err != nil:
			return fmt.Errorf("register %s: %w", r.email, err)
		}
		userIDs = append(userIDs, res.GetUser().GetId())
	}
	slugs, byProduct := demoReviews()
	written := 0
	for i, slug := range slugs {
		var p *catalogv1.Product
		err := whileNotFound(ctx, func() (err error) {
			p, err = catalog.GetProduct(ctx, &catalogv1.GetProductRequest{Id: slug})
			return err
		})
		if err != nil {
			return fmt.Errorf("demo product %s: %w", slug, err)
		}
		for j, rating := range byProduct[i] {
			user := userIDs[(i+j)%len(userIDs)]
			as := metadata.AppendToOutgoingContext(ctx, grpcx.MDUserID, user, grpcx.MDRole, "customer")
			text := demoReviewTexts[rating]
			err := whileNotFound(ctx, func() error {
				_, err := reviews.CreateReview(as, &reviewsv1.CreateReviewRequest{ProductId: p.GetId(), Rating: rating, Title: text[0], Text: text[1]})
				return err
			})
			if err != nil && status.Code(err) != codes.AlreadyExists {
				return fmt.Errorf("review of %s: %w", slug, err)
			}
			written++
		}
	}
	log.Info("demo reviews loaded", "reviewers", len(userIDs), "reviews", written)
	return nil
}

// whileNotFound calls f again while it answers not_found, for up to 30 s: the demo products
// were created a moment ago, and the catalog's read model, which answers by slug, catches up
// within a second (API.md, "Consistency").
func whileNotFound(ctx context.Context, f func() error) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := f()
		if status.Code(err) != codes.NotFound || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
