// Test helpers: render a page with the app's real store and API layer against a fake fetch.
import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { Provider } from "react-redux";
import { MemoryRouter, Route, Routes, useLocation } from "react-router-dom";
import { vi } from "vitest";
import { started } from "../app/session";
import { makeStore } from "../app/store";
import type { User } from "../api/types";

export interface Call {
  method: string;
  path: string;
  headers: Headers;
  body: unknown;
}

type Handler = (call: Call) => { status?: number; body?: unknown } | undefined;

/**
 * fakeFetch answers the API's requests from a handler ("METHOD /path?query" → response) and
 * records every call; an unhandled request answers 404 as the edge would.
 */
export function fakeFetch(handler: Handler) {
  const calls: Call[] = [];
  const fn = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = input instanceof Request ? input : new Request(input, init);
    const url = new URL(req.url);
    const text = req.method === "GET" || req.method === "HEAD" ? "" : await req.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // a multipart or text body stays as it is
    }
    const call = { method: req.method, path: url.pathname.replace(/^\/api\/v1/, "") + url.search, headers: req.headers, body };
    calls.push(call);
    const res = handler(call) ?? { status: 404, body: { error: { code: "not_found", message: "no such resource", details: [] } } };
    const status = res.status ?? 200;
    return new Response(status === 204 ? null : JSON.stringify(res.body ?? {}), { status, headers: { "Content-Type": "application/json" } });
  });
  vi.stubGlobal("fetch", fn);
  return calls;
}

export const customer: User = { id: "u1", email: "ada@example.com", name: "Ada", role: "customer", created_at: "2026-12-01T10:00:00Z" };

/** renderPage renders element at path (matching pattern), signed in as user unless null. */
export function renderPage(element: ReactElement, { path = "/", pattern = "*", user = customer as User | null } = {}) {
  const store = makeStore();
  if (user) store.dispatch(started({ user, csrf_token: "csrf-123" }));
  else store.dispatch({ type: "session/ended" });
  const result = render(
    <Provider store={store}>
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          <Route path={pattern} element={element} />
          {pattern === "*" ? null : <Route path="*" element={<Elsewhere />} />}
        </Routes>
      </MemoryRouter>
    </Provider>,
  );
  return { store, ...result };
}

/** Elsewhere stands for any other page, showing where a navigation went. */
function Elsewhere() {
  const location = useLocation();
  return <p data-testid="elsewhere">{location.pathname + location.search}</p>;
}

export const money = (amount: string) => ({ amount, currency: "USD" });
