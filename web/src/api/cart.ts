import { api } from "./api";
import type { Cart, Items, WishlistItem } from "./types";

const cartApi = api.injectEndpoints({
  endpoints: (b) => ({
    getCart: b.query<Cart, void>({ query: () => "/cart", providesTags: ["Cart"] }),
    addToCart: b.mutation<Cart, { product_id: string; quantity: number }>({
      query: (body) => ({ url: "/cart/items", method: "POST", body }),
      // The answer is the cart as it is now: no refetch needed.
      async onQueryStarted(_, { dispatch, queryFulfilled }) {
        const { data } = await queryFulfilled.catch(() => ({ data: undefined }));
        if (data) dispatch(cartApi.util.upsertQueryData("getCart", undefined, data));
      },
    }),
    setCartQuantity: b.mutation<Cart, { id: string; quantity: number }>({
      query: ({ id, quantity }) => ({ url: `/cart/items/${id}`, method: "PATCH", body: { quantity } }),
      async onQueryStarted(_, { dispatch, queryFulfilled }) {
        const { data } = await queryFulfilled.catch(() => ({ data: undefined }));
        if (data) dispatch(cartApi.util.upsertQueryData("getCart", undefined, data));
      },
    }),
    removeFromCart: b.mutation<void, string>({
      query: (id) => ({ url: `/cart/items/${id}`, method: "DELETE" }),
      invalidatesTags: ["Cart"],
    }),
    getWishlist: b.query<Items<WishlistItem>, void>({ query: () => "/wishlist", providesTags: ["Wishlist"] }),
    addToWishlist: b.mutation<WishlistItem, { product_id: string }>({
      query: (body) => ({ url: "/wishlist/items", method: "POST", body }),
      invalidatesTags: ["Wishlist"],
    }),
    removeFromWishlist: b.mutation<void, string>({
      query: (id) => ({ url: `/wishlist/items/${id}`, method: "DELETE" }),
      invalidatesTags: ["Wishlist"],
    }),
  }),
});

export { cartApi as cartApiForTests };

export const {
  useGetCartQuery,
  useAddToCartMutation,
  useSetCartQuantityMutation,
  useRemoveFromCartMutation,
  useGetWishlistQuery,
  useAddToWishlistMutation,
  useRemoveFromWishlistMutation,
} = cartApi;
