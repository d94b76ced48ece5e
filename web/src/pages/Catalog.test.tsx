import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { Product } from "../api/types";
import { fakeFetch, money, renderPage } from "../test/render";
import Catalog, { readQuery } from "./Catalog";

const product = (n: number): Product => ({
  id: `p${n}`, sku: `SKU-${n}`, name: `Keyboard ${n}`, slug: `keyboard-${n}`, description: "", category: "keyboards", brand: "Acme",
  price: money("99.00"), specs: [], images: [], stock: 3, in_stock: true, rating: { average: 0, count: 0 }, status: "active", created_at: "", updated_at: "",
});

describe("readQuery", () => {
  it.each([
    ["", { page: 1, per_page: 24 }],
    ["q=usb&sort=price_asc&page=3", { q: "usb", sort: "price_asc", page: 3, per_page: 24 }],
    ["sort=cheapest&page=-2&price_min=12.345", { page: 1, per_page: 24 }],
    ["category=keyboards&in_stock=true&price_min=10&price_max=99.5", { category: "keyboards", in_stock: true, price_min: "10", price_max: "99.5", page: 1, per_page: 24 }],
  ])("reads %j", (search, want) => {
    const got = Object.fromEntries(Object.entries(readQuery(new URLSearchParams(search))).filter(([, v]) => v !== undefined));
    expect(got).toEqual(want);
  });
});

describe("Catalog", () => {
  it("asks the API with the URL's filters and shows what it answers", async () => {
    const calls = fakeFetch((c) => {
      if (c.path.startsWith("/products?")) return { body: { items: [product(1), product(2)], page: 1, per_page: 24, total: 2 } };
      if (c.path === "/categories") return { body: { items: [{ slug: "keyboards", name: "Keyboards", parent: "" }], total: 1 } };
      return undefined;
    });
    renderPage(<Catalog />, { path: "/products?q=usb&in_stock=true" });
    expect(await screen.findByRole("link", { name: "Keyboard 1" })).toHaveAttribute("href", "/products/keyboard-1");
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("Results for “usb”");
    expect(screen.getByText("2 products")).toBeInTheDocument();
    const list = calls.find((c) => c.path.startsWith("/products?"));
    expect(Object.fromEntries(new URLSearchParams(list?.path.split("?")[1]))).toEqual({ in_stock: "true", page: "1", per_page: "24", q: "usb" });
  });

  it("shows the empty state", async () => {
    fakeFetch((c) => (c.path.startsWith("/products?") ? { body: { items: [], page: 1, per_page: 24, total: 0 } } : c.path === "/categories" ? { body: { items: [], total: 0 } } : undefined));
    renderPage(<Catalog />, { path: "/products?q=nothing" });
    expect(await screen.findByText("No products match these filters.")).toBeInTheDocument();
  });

  it("shows the error with a retry", async () => {
    const calls = fakeFetch(() => ({ status: 503, body: { error: { code: "unavailable", message: "the catalog is unavailable", details: [] } } }));
    renderPage(<Catalog />, { path: "/products" });
    expect(await screen.findByRole("alert")).toHaveTextContent("the catalog is unavailable");
    const before = calls.length;
    await userEvent.click(screen.getByRole("button", { name: "Try again" }));
    await waitFor(() => expect(calls.length).toBeGreaterThan(before));
  });
});
