import { api } from "./api";
import type { Items, Projection } from "./types";

const operationsApi = api.injectEndpoints({
  endpoints: (b) => ({
    listProjections: b.query<Items<Projection>, void>({
      query: () => "/admin/projections",
      transformResponse: (r: { items: Projection[] }) => ({ items: r.items, total: r.items.length }),
      providesTags: ["Projection"],
    }),
    rebuildProjection: b.mutation<void, string>({
      query: (name) => ({ url: `/admin/projections/${encodeURIComponent(name)}/rebuild`, method: "POST", body: {} }),
      invalidatesTags: ["Projection"],
    }),
  }),
});

export const { useListProjectionsQuery, useRebuildProjectionMutation } = operationsApi;
