import { userChanged } from "../app/session";
import { api } from "./api";
import type { Address, Items, NewAddress, User } from "./types";

const accountApi = api.injectEndpoints({
  endpoints: (b) => ({
    getMe: b.query<User, void>({ query: () => "/users/me", providesTags: ["Me"] }),
    updateMe: b.mutation<User, { name: string }>({
      query: (body) => ({ url: "/users/me", method: "PATCH", body }),
      async onQueryStarted(_, { dispatch, queryFulfilled }) {
        const { data } = await queryFulfilled.catch(() => ({ data: undefined }));
        if (!data) return;
        dispatch(userChanged(data));
        dispatch(accountApi.util.upsertQueryData("getMe", undefined, data));
      },
    }),
    listAddresses: b.query<Items<Address>, void>({ query: () => "/users/me/addresses", providesTags: ["Address"] }),
    addAddress: b.mutation<Address, NewAddress>({
      query: (body) => ({ url: "/users/me/addresses", method: "POST", body }),
      invalidatesTags: ["Address"],
    }),
    deleteAddress: b.mutation<void, string>({
      query: (id) => ({ url: `/users/me/addresses/${id}`, method: "DELETE" }),
      invalidatesTags: ["Address"],
    }),
  }),
});

export const { useGetMeQuery, useUpdateMeMutation, useListAddressesQuery, useAddAddressMutation, useDeleteAddressMutation } = accountApi;
