import { api } from "./api";
import type { BlogPost, Page } from "./types";

const contentApi = api.injectEndpoints({
  endpoints: (b) => ({
    listPosts: b.query<Page<BlogPost>, { page?: number; tag?: string }>({
      query: ({ page = 1, tag }) => ({ url: "/blog/posts", params: { page: String(page), per_page: "10", ...(tag ? { tag } : {}) } }),
      providesTags: [{ type: "Post", id: "LIST" }],
    }),
    getPost: b.query<BlogPost, string>({
      query: (slug) => `/blog/posts/${encodeURIComponent(slug)}`,
      providesTags: (_r, _e, slug) => [{ type: "Post", id: slug }],
    }),
  }),
});

export const { useListPostsQuery, useGetPostQuery } = contentApi;
