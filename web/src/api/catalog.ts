import { api } from "./api";
import type { Category, CreateProductRequest, Items, Page, Product, Review } from "./types";

/** ProductQuery is the catalog list's query string (API.md GET /products). */
export interface ProductQuery {
  page?: number;
  per_page?: number;
  q?: string;
  category?: string;
  price_min?: string;
  price_max?: string;
  in_stock?: boolean;
  sort?: "relevance" | "newest" | "price_asc" | "price_desc" | "rating_desc";
}

/** params drops the unset fields of a query, so the URL carries only what was chosen. */
export function params(q: object): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(q)) {
    if (v !== undefined && v !== null && v !== "" && v !== false) out[k] = String(v);
  }
  return out;
}

const catalogApi = api.injectEndpoints({
  endpoints: (b) => ({
    listProducts: b.query<Page<Product>, ProductQuery>({
      query: (q) => ({ url: "/products", params: params(q) }),
      providesTags: (r) => [{ type: "Product", id: "LIST" }, ...(r?.items ?? []).map((p) => ({ type: "Product" as const, id: p.id }))],
    }),
    getProduct: b.query<Product, string>({
      query: (idOrSlug) => `/products/${encodeURIComponent(idOrSlug)}`,
      providesTags: (r) => (r ? [{ type: "Product", id: r.id }] : []),
    }),
    listCategories: b.query<Items<Category>, void>({
      query: () => "/categories",
      providesTags: [{ type: "Category", id: "LIST" }],
    }),
    listReviews: b.query<Page<Review>, { productId: string; page?: number }>({
      query: ({ productId, page = 1 }) => ({ url: `/products/${productId}/reviews`, params: { page: String(page), per_page: "10" } }),
      providesTags: (_r, _e, a) => [{ type: "Review", id: a.productId }],
    }),
    createReview: b.mutation<Review, { product_id: string; rating: number; title: string; text: string }>({
      query: (body) => ({ url: "/reviews", method: "POST", body }),
      invalidatesTags: (_r, _e, a) => [{ type: "Review", id: a.product_id }, { type: "Product", id: a.product_id }],
    }),
    // Admin
    listAdminProducts: b.query<Page<Product>, { page?: number; status?: string; per_page?: number }>({
      query: (q) => ({ url: "/admin/products", params: params(q) }),
      providesTags: [{ type: "Product", id: "ADMIN" }],
    }),
    createProduct: b.mutation<Product, CreateProductRequest>({
      query: (body) => ({ url: "/products", method: "POST", body }),
      invalidatesTags: [{ type: "Product", id: "ADMIN" }, { type: "Product", id: "LIST" }],
    }),
    updateProduct: b.mutation<Product, { id: string; body: CreateProductRequest }>({
      query: ({ id, body }) => ({ url: `/products/${id}`, method: "PUT", body }),
      invalidatesTags: (_r, _e, a) => [{ type: "Product", id: "ADMIN" }, { type: "Product", id: a.id }, { type: "Product", id: "LIST" }],
    }),
    deleteProduct: b.mutation<void, string>({
      query: (id) => ({ url: `/products/${id}`, method: "DELETE" }),
      invalidatesTags: (_r, _e, id) => [{ type: "Product", id: "ADMIN" }, { type: "Product", id }, { type: "Product", id: "LIST" }],
    }),
    uploadProductImage: b.mutation<Product, { id: string; file: File; alt: string }>({
      query: ({ id, file, alt }) => {
        const body = new FormData();
        body.append("file", file);
        body.append("alt", alt);
        return { url: `/products/${id}/images`, method: "POST", body };
      },
      invalidatesTags: (_r, _e, a) => [{ type: "Product", id: "ADMIN" }, { type: "Product", id: a.id }],
    }),
  }),
});

export const {
  useListProductsQuery,
  useGetProductQuery,
  useListCategoriesQuery,
  useListReviewsQuery,
  useCreateReviewMutation,
  useListAdminProductsQuery,
  useCreateProductMutation,
  useUpdateProductMutation,
  useDeleteProductMutation,
  useUploadProductImageMutation,
} = catalogApi;
