// The RTK Query API of the whole store. Each area adds its endpoints with injectEndpoints in
// its own module, so a route's chunk carries only the endpoints it uses.
import { createApi, fetchBaseQuery, type BaseQueryFn, type FetchArgs, type FetchBaseQueryError } from "@reduxjs/toolkit/query/react";

/** The part of the store state the API needs: the session's CSRF token (kept in memory only). */
interface WithSession {
  session: { csrfToken: string | null };
}

const unsafeMethods = new Set(["POST", "PUT", "PATCH", "DELETE"]);

const rawBaseQuery = fetchBaseQuery({
  // Absolute, on the page's own origin (a relative URL cannot make a Request outside a browser).
  baseUrl: `${globalThis.location?.origin ?? ""}/api/v1`,
  // The session is the httpOnly sf_session cookie; the page never sees a token.
  credentials: "same-origin",
});

/**
 * baseQuery adds the session's X-CSRF-Token to every state-changing request (API.md "Web
 * sessions"), and clears the session when the edge says it is gone.
 */
export const baseQuery: BaseQueryFn<string | FetchArgs, unknown, FetchBaseQueryError> = async (args, api, extra) => {
  const req: FetchArgs = typeof args === "string" ? { url: args } : { ...args };
  const method = (req.method ?? "GET").toUpperCase();
  const csrf = (api.getState() as WithSession).session.csrfToken;
  if (unsafeMethods.has(method) && csrf) {
    req.headers = { ...(req.headers as Record<string, string> | undefined), "X-CSRF-Token": csrf };
  }
  const result = await rawBaseQuery(req, api, extra);
  if (result.error?.status === 401 && req.url !== "/auth/session") {
    api.dispatch({ type: "session/expired" });
  }
  return result;
};

export const api = createApi({
  reducerPath: "api",
  baseQuery,
  tagTypes: ["Session", "Me", "Address", "Product", "Category", "Cart", "Wishlist", "Order", "Review", "Post", "Conversation", "Discount", "Analytics", "Projection"],
  endpoints: () => ({}),
});
