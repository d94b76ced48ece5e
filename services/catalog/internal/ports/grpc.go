// Package ports serves the catalog use cases over gRPC: it translates protobuf requests into
// commands and queries and results back, nothing more. Errors pass through unchanged; the
// platform interceptor (grpcx) maps them to status codes, with field violations named as the
// JSON fields of the request.
package ports

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/storefront/storefront/platform/money"
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
	typev1 "github.com/storefront/storefront/proto/storefront/type/v1"
	"github.com/storefront/storefront/services/catalog/internal/app"
	"github.com/storefront/storefront/services/catalog/internal/domain"
)

// GRPC implements catalogv1.CatalogServiceServer.
type GRPC struct {
	catalogv1.UnimplementedCatalogServiceServer
	App app.Application
	// MediaURL prefixes the media store's keys to make uploaded images' URLs, e.g.
	// "https://shop.example/media/" (API.md: STOREFRONT_MEDIA_PUBLIC_URL).
	MediaURL string
}

// ListProducts implements catalogv1.CatalogServiceServer.
func (s GRPC) ListProducts(ctx context.Context, r *catalogv1.ListProductsRequest) (*catalogv1.ListProductsResponse, error) {
	page, f, err := s.App.Queries.ListProducts.Handle(ctx, app.ListProducts{
		Page: app.Page{Page: r.Page, PerPage: r.PerPage}, Category: r.GetCategory(), PriceMin: r.GetPriceMin(),
		PriceMax: r.GetPriceMax(), Query: r.GetQ(), InStock: r.InStock, Sort: r.GetSort(),
	})
	if err != nil {
		return nil, err
	}
	return s.productList(page, f.Page, f.PerPage), nil
}

// GetProduct implements catalogv1.CatalogServiceServer.
func (s GRPC) GetProduct(ctx context.Context, r *catalogv1.GetProductRequest) (*catalogv1.Product, error) {
	p, err := s.App.Queries.GetProduct.Handle(ctx, app.GetProduct{IDOrSlug: r.GetId()})
	if err != nil {
		return nil, err
	}
	return s.product(p), nil
}

// CreateProduct implements catalogv1.CatalogServiceServer.
func (s GRPC) CreateProduct(ctx context.Context, r *catalogv1.CreateProductRequest) (*catalogv1.Product, error) {
	p, err := s.App.Commands.CreateProduct.Handle(ctx, app.CreateProduct{
		ProductInput: productInput(r.GetSku(), r.GetName(), r.GetSlug(), r.GetDescription(), r.GetCategory(), r.GetBrand(),
			r.GetPrice(), r.GetSpecs(), r.GetImages()),
		Stock: r.GetStock(),
	})
	if err != nil {
		return nil, err
	}
	return s.product(p), nil
}

// UpdateProduct implements catalogv1.CatalogServiceServer.
func (s GRPC) UpdateProduct(ctx context.Context, r *catalogv1.UpdateProductRequest) (*catalogv1.Product, error) {
	p, err := s.App.Commands.UpdateProduct.Handle(ctx, app.UpdateProduct{
		ID: r.GetId(),
		ProductInput: productInput(r.GetSku(), r.GetName(), r.GetSlug(), r.GetDescription(), r.GetCategory(), r.GetBrand(),
			r.GetPrice(), r.GetSpecs(), r.GetImages()),
		Stock:  r.Stock,
		Status: r.Status,
	})
	if err != nil {
		return nil, err
	}
	return s.product(p), nil
}

// DeleteProduct implements catalogv1.CatalogServiceServer.
func (s GRPC) DeleteProduct(ctx context.Context, r *catalogv1.DeleteProductRequest) (*emptypb.Empty, error) {
	if err := s.App.Commands.DeleteProduct.Handle(ctx, app.DeleteProduct{ID: r.GetId()}); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// AddProductImage implements catalogv1.CatalogServiceServer.
func (s GRPC) AddProductImage(ctx context.Context, r *catalogv1.AddProductImageRequest) (*catalogv1.Product, error) {
	p, err := s.App.Commands.AddProductImage.Handle(ctx, app.AddProductImage{ProductID: r.GetProductId(), File: r.GetFile(), Alt: r.GetAlt()})
	if err != nil {
		return nil, err
	}
	return s.product(p), nil
}

// RemoveProductImage implements catalogv1.CatalogServiceServer.
func (s GRPC) RemoveProductImage(ctx context.Context, r *catalogv1.RemoveProductImageRequest) (*emptypb.Empty, error) {
	if err := s.App.Commands.RemoveProductImage.Handle(ctx, app.RemoveProductImage{ProductID: r.GetProductId(), ImageID: r.GetImageId()}); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// ListCategories implements catalogv1.CatalogServiceServer.
func (s GRPC) ListCategories(ctx context.Context, _ *catalogv1.ListCategoriesRequest) (*catalogv1.ListCategoriesResponse, error) {
	cs, err := s.App.Queries.ListCategories.Handle(ctx)
	if err != nil {
		return nil, err
	}
	items := make([]*catalogv1.Category, len(cs))
	for i, c := range cs {
		items[i] = category(c)
	}
	return &catalogv1.ListCategoriesResponse{Items: items, Total: int32(len(items))}, nil
}

// CreateCategory implements catalogv1.CatalogServiceServer.
func (s GRPC) CreateCategory(ctx context.Context, r *catalogv1.CreateCategoryRequest) (*catalogv1.Category, error) {
	c, err := s.App.Commands.CreateCategory.Handle(ctx, app.CreateCategory{Slug: r.GetSlug(), Name: r.GetName(), Parent: r.GetParent()})
	if err != nil {
		return nil, err
	}
	return category(c), nil
}

// AdminListProducts implements catalogv1.CatalogServiceServer.
func (s GRPC) AdminListProducts(ctx context.Context, r *catalogv1.AdminListProductsRequest) (*catalogv1.ListProductsResponse, error) {
	page, f, err := s.App.Queries.AdminListProducts.Handle(ctx, app.AdminListProducts{
		Page: app.Page{Page: r.Page, PerPage: r.PerPage}, Status: r.GetStatus(),
	})
	if err != nil {
		return nil, err
	}
	return s.productList(page, f.Page, f.PerPage), nil
}

// ReserveStock implements catalogv1.CatalogServiceServer.
func (s GRPC) ReserveStock(ctx context.Context, r *catalogv1.ReserveStockRequest) (*catalogv1.ReserveStockResponse, error) {
	items := make([]domain.Line, len(r.GetItems()))
	for i, it := range r.GetItems() {
		items[i] = domain.Line{ProductID: it.GetProductId(), Quantity: it.GetQuantity()}
	}
	lines, err := s.App.Commands.ReserveStock.Handle(ctx, app.ReserveStock{OrderID: r.GetOrderId(), Items: items})
	if err != nil {
		return nil, err
	}
	out := &catalogv1.ReserveStockResponse{OrderId: r.GetOrderId(), Items: make([]*catalogv1.ReservedItem, len(lines))}
	for i, l := range lines {
		out.Items[i] = &catalogv1.ReservedItem{ProductId: l.ProductID, Quantity: l.Quantity, Sku: l.SKU, Name: l.Name,
			UnitPriceMinor: l.UnitPriceMinor, Currency: l.Currency}
	}
	return out, nil
}

// ReleaseReservation implements catalogv1.CatalogServiceServer.
func (s GRPC) ReleaseReservation(ctx context.Context, r *catalogv1.ReleaseReservationRequest) (*catalogv1.ReleaseReservationResponse, error) {
	if err := s.App.Commands.ReleaseReservation.Handle(ctx, app.ReleaseReservation{OrderID: r.GetOrderId()}); err != nil {
		return nil, err
	}
	return &catalogv1.ReleaseReservationResponse{}, nil
}

// CommitReservation implements catalogv1.CatalogServiceServer.
func (s GRPC) CommitReservation(ctx context.Context, r *catalogv1.CommitReservationRequest) (*catalogv1.CommitReservationResponse, error) {
	if err := s.App.Commands.CommitReservation.Handle(ctx, app.CommitReservation{OrderID: r.GetOrderId()}); err != nil {
		return nil, err
	}
	return &catalogv1.CommitReservationResponse{}, nil
}

// RestockReservation implements catalogv1.CatalogServiceServer.
func (s GRPC) RestockReservation(ctx context.Context, r *catalogv1.RestockReservationRequest) (*catalogv1.RestockReservationResponse, error) {
	if err := s.App.Commands.RestockReservation.Handle(ctx, app.RestockReservation{OrderID: r.GetOrderId()}); err != nil {
		return nil, err
	}
	return &catalogv1.RestockReservationResponse{}, nil
}

func productInput(sku, name, slug, description, category, brand string, price *typev1.Money, specs []*catalogv1.Spec, images []*catalogv1.Image) app.ProductInput {
	in := app.ProductInput{SKU: sku, Name: name, Slug: slug, Description: description, Category: category, Brand: brand,
		PriceAmount: price.GetAmount(), PriceCurrency: price.GetCurrency()}
	for _, s := range specs {
		in.Specs = append(in.Specs, domain.Spec{Key: s.GetKey(), Value: s.GetValue(), Unit: s.GetUnit()})
	}
	for _, im := range images {
		in.Images = append(in.Images, domain.Image{ID: im.GetId(), URL: im.GetUrl(), Alt: im.GetAlt()})
	}
	return in
}

func (s GRPC) product(p app.ProductView) *catalogv1.Product {
	out := &catalogv1.Product{
		Id: p.ID, Sku: p.SKU, Name: p.Name, Slug: p.Slug, Description: p.Description, Category: p.Category, Brand: p.Brand,
		Price:  &typev1.Money{Amount: money.Format(p.PriceMinor, p.Currency), Currency: p.Currency},
		Specs:  make([]*catalogv1.Spec, len(p.Specs)),
		Images: make([]*catalogv1.Image, len(p.Images)),
		Stock:  p.Stock, InStock: p.InStock(),
		Rating: &catalogv1.Rating{Average: p.RatingAverage, Count: p.RatingCount},
		Status: p.Status, CreatedAt: timestamp(p.CreatedAt), UpdatedAt: timestamp(p.UpdatedAt),
	}
	for i, sp := range p.Specs {
		out.Specs[i] = &catalogv1.Spec{Key: sp.Key, Value: sp.Value, Unit: sp.Unit}
	}
	for i, im := range p.Images {
		out.Images[i] = s.image(im)
	}
	return out
}

// image renders an image; an uploaded one's URLs are the media URL of its keys.
func (s GRPC) image(im domain.Image) *catalogv1.Image {
	out := &catalogv1.Image{Id: im.ID, Url: im.URL, Alt: im.Alt, Width: im.Width, Height: im.Height, Variants: []*catalogv1.ImageVariant{}}
	if im.Stored() {
		out.Url = s.MediaURL + im.Key
	}
	for _, v := range im.Variants {
		out.Variants = append(out.Variants, &catalogv1.ImageVariant{Width: v.Width, Url: s.MediaURL + v.Key, Format: v.Format})
	}
	return out
}

func (s GRPC) productList(page app.ProductPage, pageNo, perPage int) *catalogv1.ListProductsResponse {
	items := make([]*catalogv1.Product, len(page.Items))
	for i, p := range page.Items {
		items[i] = s.product(p)
	}
	return &catalogv1.ListProductsResponse{Items: items, Page: int32(pageNo), PerPage: int32(perPage), Total: int32(page.Total)}
}

func category(c app.CategoryView) *catalogv1.Category {
	return &catalogv1.Category{Slug: c.Slug, Name: c.Name, Parent: c.Parent}
}

// timestamp renders a time as RFC 3339 UTC, whole seconds (API.md).
func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
