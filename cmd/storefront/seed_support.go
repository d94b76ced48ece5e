package main

import (
	"context"
	"fmt"
	"log/slog"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/storefront/storefront/platform/grpcx"
	identityv1 "github.com/storefront/storefront/proto/storefront/identity/v1"
	supportv1 "github.com/storefront/storefront/proto/storefront/support/v1"
)

// demoSupportCustomer opens the demo store's one support conversation, so that an admin's
// support inbox is not empty. The account is real, with a random password nobody knows.
var demoSupportCustomer = demoReviewer{"sam@support.demo.storefront.dev", "Sam K."}

// loadDemoSupport registers the demo customer and opens their conversation, once: when the
// account exists already, an earlier start has loaded it.
func loadDemoSupport(ctx context.Context, log *slog.Logger, identityAddr, supportAddr string) error {
	conns := map[string]*grpc.ClientConn{}
	for name, addr := range map[string]string{"identity": identityAddr, "support": supportAddr} {
		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		defer conn.Close()
		conns[name] = conn
	}
	c := demoSupportCustomer
	res, err := identityv1.NewIdentityServiceClient(conns["identity"]).Register(ctx,
		&identityv1.RegisterRequest{Email: c.email, Name: c.name, Password: unknowablePassword()})
	switch {
	case status.Code(err) == codes.AlreadyExists:
		return nil // loaded by an earlier start
	case err != nil:
		return fmt.Errorf("register %s: %w", c.email, err)
	}
	as := metadata.AppendToOutgoingContext(ctx, grpcx.MDUserID, res.GetUser().GetId(), grpcx.MDRole, "customer")
	conv, err := supportv1.NewSupportServiceClient(conns["support"]).StartConversation(as, &supportv1.StartConversationRequest{
		Subject: "Which switches for a quiet office?",
		Message: "I share an office and my clicky switches are not making me friends. Which of your keyboards are the quietest?"})
	if err != nil {
		return fmt.Errorf("demo conversation: %w", err)
	}
	log.Info("demo support conversation opened", "conversation_id", conv.GetId())
	return nil
}
