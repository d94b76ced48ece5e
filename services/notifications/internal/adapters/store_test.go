package adapters_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/storefront/storefront/platform/testkit/pgtest"
	"github.com/storefront/storefront/services/notifications/internal/adapters"
	"github.com/storefront/storefront/services/notifications/internal/app"
)

// TestClaimSupportMail_OneWinnerAmongConcurrentMessages: messages of one conversation handled
// at once claim its staff mail once; the winner's redelivery may still send until it marks
// the mail sent, then nothing may.
func TestClaimSupportMail_OneWinnerAmongConcurrentMessages(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t, adapters.Migrations("notifications_test"))
	s := adapters.Store{Pool: db.Pool, Schema: "notifications_test"}
	conv, at := uuid.NewString(), time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	var wins atomic.Int32
	var winner atomic.Value
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			ev := uuid.New()
			mine, _, err := s.ClaimSupportMail(ctx, app.SupportClaim{ConversationID: conv, EventID: ev, At: at.Add(time.Duration(i) * time.Second),
				Window: 10 * time.Minute})
			if err != nil {
				t.Error(err)
			}
			if mine {
				wins.Add(1)
				winner.Store(ev)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d claims won, want 1", wins.Load())
	}
	ev := winner.Load().(uuid.UUID)
	claim := app.SupportClaim{ConversationID: conv, EventID: ev, At: at, Window: 10 * time.Minute}
	if mine, _, err := s.ClaimSupportMail(ctx, claim); err != nil || !mine {
		t.Fatalf("the winner's redelivery before the send: %v %v", mine, err)
	}
	if err := s.SupportMailed(ctx, conv, ev); err != nil {
		t.Fatal(err)
	}
	if mine, _, err := s.ClaimSupportMail(ctx, claim); err != nil || mine {
		t.Fatalf("the winner's redelivery after the send: %v %v", mine, err)
	}
}
