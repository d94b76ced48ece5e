import { api } from "./api";
import type { Analytics, CreateDiscountRequest, Discount, Order, Page, PlaceOrderRequest } from "./types";

const ordersApi = api.injectEndpoints({
  endpoints: (b) => ({
    placeOrder: b.mutation<Order, { body: PlaceOrderRequest; idempotencyKey: string }>({
      // The key makes a retried click (or a retry after a dropped answer) the same order.
      query: ({ body, idempotencyKey }) => ({ url: "/orders", method: "POST", body, headers: { "Idempotency-Key": idempotencyKey } }),
      invalidatesTags: ["Cart", { type: "Order", id: "LIST" }],
    }),
    listOrders: b.query<Page<Order>, { page?: number }>({
      query: ({ page = 1 }) => ({ url: "/orders", params: { page: String(page), per_page: "10" } }),
      providesTags: [{ type: "Order", id: "LIST" }],
    }),
    getOrder: b.query<Order, string>({
      query: (id) => `/orders/${id}`,
      providesTags: (_r, _e, id) => [{ type: "Order", id }],
    }),
    cancelOrder: b.mutation<Order, { id: string; reason?: string }>({
      query: ({ id, reason }) => ({ url: `/orders/${id}/cancel`, method: "POST", body: { reason: reason ?? "" } }),
      invalidatesTags: (_r, _e, a) => [{ type: "Order", id: a.id }, { type: "Order", id: "LIST" }],
    }),
    requestReturn: b.mutation<Order, { id: string; reason: string }>({
      query: ({ id, reason }) => ({ url: `/orders/${id}/return`, method: "POST", body: { reason } }),
      invalidatesTags: (_r, _e, a) => [{ type: "Order", id: a.id }, { type: "Order", id: "LIST" }],
    }),
    capturePayPal: b.mutation<Order, string>({
      query: (id) => ({ url: `/orders/${id}/payment/capture`, method: "POST", body: {} }),
      invalidatesTags: (_r, _e, id) => [{ type: "Order", id }, { type: "Order", id: "LIST" }],
    }),
    // Admin
    listAdminOrders: b.query<Page<Order>, { page?: number; status?: string }>({
      query: ({ page = 1, status }) => ({ url: "/admin/orders", params: { page: String(page), per_page: "20", ...(status ? { status } : {}) } }),
      providesTags: [{ type: "Order", id: "ADMIN" }],
    }),
    setOrderStatus: b.mutation<Order, { id: string; status: string }>({
      query: ({ id, status }) => ({ url: `/admin/orders/${id}/status`, method: "PATCH", body: { status } }),
      invalidatesTags: (_r, _e, a) => [{ type: "Order", id: "ADMIN" }, { type: "Order", id: a.id }, "Analytics"],
    }),
    listDiscounts: b.query<Page<Discount>, { page?: number }>({
      query: ({ page = 1 }) => ({ url: "/admin/discounts", params: { page: String(page), per_page: "50" } }),
      providesTags: ["Discount"],
    }),
    createDiscount: b.mutation<Discount, CreateDiscountRequest>({
      query: (body) => ({ url: "/admin/discounts", method: "POST", body }),
      invalidatesTags: ["Discount"],
    }),
    getAnalytics: b.query<Analytics, { from?: string; to?: string }>({
      query: (q) => ({ url: "/admin/analytics", params: { ...(q.from ? { from: q.from } : {}), ...(q.to ? { to: q.to } : {}) } }),
      providesTags: ["Analytics"],
    }),
  }),
});

export const {
  usePlaceOrderMutation,
  useListOrdersQuery,
  useGetOrderQuery,
  useCancelOrderMutation,
  useRequestReturnMutation,
  useCapturePayPalMutation,
  useListAdminOrdersQuery,
  useSetOrderStatusMutation,
  useListDiscountsQuery,
  useCreateDiscountMutation,
  useGetAnalyticsQuery,
} = ordersApi;
