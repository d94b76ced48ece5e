// Package ports serves the identity use cases over gRPC: it translates protobuf requests into
// commands and queries and results back, nothing more. Errors pass through unchanged; the
// platform interceptor maps them to status codes.
package ports

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/emptypb"

	identityv1 "github.com/storefront/storefront/proto/storefront/identity/v1"
	"github.com/storefront/storefront/services/identity/internal/app"
	"github.com/storefront/storefront/services/identity/internal/domain"
)

// GRPC implements identityv1.IdentityServiceServer.
type GRPC struct {
	identityv1.UnimplementedIdentityServiceServer
	App app.Application
}

// Register implements identityv1.IdentityServiceServer.
func (s GRPC) Register(ctx context.Context, r *identityv1.RegisterRequest) (*identityv1.RegisterResponse, error) {
	u, err := s.App.Commands.Register.Handle(ctx, app.Register{Email: r.GetEmail(), Password: r.GetPassword(), Name: r.GetName()})
	if err != nil {
		return nil, err
	}
	return &identityv1.RegisterResponse{User: user(u)}, nil
}

// Login implements identityv1.IdentityServiceServer.
func (s GRPC) Login(ctx context.Context, r *identityv1.LoginRequest) (*identityv1.TokenPair, error) {
	p, err := s.App.Commands.Login.Handle(ctx, app.Login{Email: r.GetEmail(), Password: r.GetPassword()})
	if err != nil {
		return nil, err
	}
	return tokenPair(p), nil
}

// Refresh implements identityv1.IdentityServiceServer.
func (s GRPC) Refresh(ctx context.Context, r *identityv1.RefreshRequest) (*identityv1.TokenPair, error) {
	p, err := s.App.Commands.Refresh.Handle(ctx, app.Refresh{RefreshToken: r.GetRefreshToken()})
	if err != nil {
		return nil, err
	}
	return tokenPair(p), nil
}

// Logout implements identityv1.IdentityServiceServer.
func (s GRPC) Logout(ctx context.Context, r *identityv1.LogoutRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, s.App.Commands.Logout.Handle(ctx, app.Logout{RefreshToken: r.GetRefreshToken()})
}

// RequestPasswordReset implements identityv1.IdentityServiceServer.
func (s GRPC) RequestPasswordReset(ctx context.Context, r *identityv1.RequestPasswordResetRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, s.App.Commands.RequestPasswordReset.Handle(ctx, app.RequestPasswordReset{Email: r.GetEmail()})
}

// ResetPassword implements identityv1.IdentityServiceServer.
func (s GRPC) ResetPassword(ctx context.Context, r *identityv1.ResetPasswordRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, s.App.Commands.ResetPassword.Handle(ctx, app.ResetPassword{Token: r.GetToken(), NewPassword: r.GetNewPassword()})
}

// GetMe implements identityv1.IdentityServiceServer.
func (s GRPC) GetMe(ctx context.Context, _ *identityv1.GetMeRequest) (*identityv1.User, error) {
	u, err := s.App.Queries.GetUser.Handle(ctx, app.GetUser{})
	if err != nil {
		return nil, err
	}
	return user(u), nil
}

// UpdateMe implements identityv1.IdentityServiceServer.
func (s GRPC) UpdateMe(ctx context.Context, r *identityv1.UpdateMeRequest) (*identityv1.User, error) {
	u, err := s.App.Commands.UpdateProfile.Handle(ctx, app.UpdateProfile{Name: r.GetName()})
	if err != nil {
		return nil, err
	}
	return user(u), nil
}

// ListAddresses implements identityv1.IdentityServiceServer.
func (s GRPC) ListAddresses(ctx context.Context, _ *identityv1.ListAddressesRequest) (*identityv1.ListAddressesResponse, error) {
	u, err := s.App.Queries.GetUser.Handle(ctx, app.GetUser{})
	if err != nil {
		return nil, err
	}
	items := make([]*identityv1.Address, 0, len(u.Addresses()))
	for _, a := range u.Addresses() {
		items = append(items, address(a))
	}
	return &identityv1.ListAddressesResponse{Items: items, Total: int32(len(items))}, nil
}

// AddAddress implements identityv1.IdentityServiceServer.
func (s GRPC) AddAddress(ctx context.Context, r *identityv1.AddAddressRequest) (*identityv1.Address, error) {
	a, err := s.App.Commands.AddAddress.Handle(ctx, app.AddAddress{Line1: r.GetLine1(), Line2: r.GetLine2(), City: r.GetCity(),
		State: r.GetState(), PostalCode: r.GetPostalCode(), Country: r.GetCountry()})
	if err != nil {
		return nil, err
	}
	return address(a), nil
}

// RemoveAddress implements identityv1.IdentityServiceServer.
func (s GRPC) RemoveAddress(ctx context.Context, r *identityv1.RemoveAddressRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, s.App.Commands.RemoveAddress.Handle(ctx, app.RemoveAddress{ID: r.GetId()})
}

// GetJWKS implements identityv1.IdentityServiceServer.
func (s GRPC) GetJWKS(ctx context.Context, _ *identityv1.GetJWKSRequest) (*identityv1.GetJWKSResponse, error) {
	doc, err := s.App.Queries.JWKS.Handle(ctx)
	if err != nil {
		return nil, err
	}
	return &identityv1.GetJWKSResponse{JwksJson: string(doc)}, nil
}

// CheckSession implements identityv1.IdentityServiceServer.
func (s GRPC) CheckSession(ctx context.Context, r *identityv1.CheckSessionRequest) (*identityv1.CheckSessionResponse, error) {
	active, err := s.App.Queries.CheckSession.Handle(ctx, app.CheckSession{SessionID: r.GetSessionId(), UserID: r.GetUserId(), IssuedAt: r.GetIssuedAt()})
	if err != nil {
		return nil, err
	}
	return &identityv1.CheckSessionResponse{Active: active}, nil
}

func user(u *domain.User) *identityv1.User {
	return &identityv1.User{Id: u.ID(), Email: u.Email(), Name: u.Name(), Role: u.Role(),
		CreatedAt: u.RegisteredAt().UTC().Format(time.RFC3339)}
}

func address(a domain.Address) *identityv1.Address {
	return &identityv1.Address{Id: a.ID, Line1: a.Line1, Line2: a.Line2, City: a.City, State: a.State,
		PostalCode: a.PostalCode, Country: a.Country}
}

func tokenPair(p app.TokenPair) *identityv1.TokenPair {
	return &identityv1.TokenPair{AccessToken: p.AccessToken, RefreshToken: p.RefreshToken, TokenType: "Bearer",
		ExpiresIn: int32(p.ExpiresIn), User: user(p.User)}
}
