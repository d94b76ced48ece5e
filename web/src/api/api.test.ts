import { describe, expect, it } from "vitest";
import { started } from "../app/session";
import { makeStore } from "../app/store";
import { fakeFetch } from "../test/render";
import { cartApiForTests } from "./cart";

describe("baseQuery", () => {
  it("sends the session's X-CSRF-Token on state-changing requests only", async () => {
    const calls = fakeFetch((c) => ({ body: { id: "c", items: [], item_count: 0, subtotal: { amount: "0.00", currency: "USD" } }, status: c.method === "POST" ? 201 : 200 }));
    const store = makeStore();
    store.dispatch(started({ user: { id: "u", email: "a@b.c", name: "A", role: "customer", created_at: "" }, csrf_token: "csrf-abc" }));
    await store.dispatch(cartApiForTests.endpoints.getCart.initiate());
    await store.dispatch(cartApiForTests.endpoints.addToCart.initiate({ product_id: "p", quantity: 1 }));
    expect(calls.map((c) => [c.method, c.headers.get("X-CSRF-Token")])).toEqual([
      ["GET", null],
      ["POST", "csrf-abc"],
    ]);
  });

  it("ends the session when the edge answers 401", async () => {
    fakeFetch(() => ({ status: 401, body: { error: { code: "unauthenticated", message: "session expired", details: [] } } }));
    const store = makeStore();
    store.dispatch(started({ user: { id: "u", email: "a@b.c", name: "A", role: "customer", created_at: "" }, csrf_token: "x" }));
    await store.dispatch(cartApiForTests.endpoints.getCart.initiate());
    expect(store.getState().session).toEqual({ status: "anonymous", user: null, csrfToken: null });
  });
});
