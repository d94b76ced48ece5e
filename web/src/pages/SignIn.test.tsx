import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { customer, fakeFetch, renderPage } from "../test/render";
import SignIn, { safeNext } from "./SignIn";

describe("SignIn", () => {
  it("shows the form's own errors at the fields and sends nothing", async () => {
    const calls = fakeFetch(() => undefined);
    renderPage(<SignIn />, { path: "/signin", pattern: "/signin", user: null });
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByText("Enter your email address.")).toBeInTheDocument();
    expect(screen.getByLabelText("Email")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByText("Enter your password.")).toBeInTheDocument();
    expect(calls).toHaveLength(0);
  });

  it("shows the API's message when the credentials are wrong", async () => {
    fakeFetch((c) => (c.method === "POST" && c.path === "/auth/session" ? { status: 401, body: { error: { code: "unauthenticated", message: "wrong email or password", details: [] } } } : undefined));
    renderPage(<SignIn />, { path: "/signin", pattern: "/signin", user: null });
    await userEvent.type(screen.getByLabelText("Email"), "ada@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "nope12345");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("wrong email or password");
  });

  it("signs in with the cookie session and goes where it was sent from", async () => {
    const calls = fakeFetch((c) => (c.method === "POST" && c.path === "/auth/session" ? { body: { user: customer, csrf_token: "t" } } : undefined));
    const { store } = renderPage(<SignIn />, { path: "/signin?next=%2Fcheckout", pattern: "/signin", user: null });
    await userEvent.type(screen.getByLabelText("Email"), "ada@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "secret123");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByTestId("elsewhere")).toHaveTextContent("/checkout");
    expect(calls[0]?.body).toEqual({ email: "ada@example.com", password: "secret123" });
    await waitFor(() => expect(store.getState().session.csrfToken).toBe("t"));
    // Nothing of the session is kept where scripts could read it later.
    expect(window.localStorage.length).toBe(0);
  });

  it.each([
    ["/orders", "/orders"],
    ["//evil.example/x", "/"],
    ["https://evil.example", "/"],
    [null, "/"],
  ])("safeNext(%s) is %s", (next, want) => {
    expect(safeNext(next)).toBe(want);
  });
});
