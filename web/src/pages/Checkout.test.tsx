import { describe, expect, it } from "vitest";
import { checkoutSchema, toPlaceOrder, type CheckoutValues } from "./Checkout";

const base: CheckoutValues = {
  address_choice: "new",
  shipping_address: { line1: "1 Main St", line2: "", city: "Springfield", state: "", postal_code: "12345", country: "us" },
  save_address: false,
  discount_code: "welcome10",
  payment: "card",
  card: "pm_card_visa",
};

describe("checkout", () => {
  it("builds POST /orders from a new address, a card and a code", () => {
    expect(toPlaceOrder(base)).toEqual({
      payment_method: "pm_card_visa",
      discount_code: "WELCOME10",
      shipping_address: { line1: "1 Main St", line2: "", city: "Springfield", state: "", postal_code: "12345", country: "US" },
    });
  });

  it("sends a saved address by id and PayPal as its method", () => {
    expect(toPlaceOrder({ ...base, payment: "paypal", discount_code: "" }, "a1")).toEqual({ payment_method: "paypal", address_id: "a1" });
  });

  it.each([
    ["country", { country: "USA" }, "shipping_address.country"],
    ["city", { city: " " }, "shipping_address.city"],
  ])("refuses a new address with a bad %s", (_, change, path) => {
    const r = checkoutSchema.safeParse({ ...base, shipping_address: { ...base.shipping_address, ...change } });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join("."))).toContain(path);
  });

  it("does not check the new-address fields when a saved address is chosen", () => {
    expect(checkoutSchema.safeParse({ ...base, address_choice: "a1", shipping_address: {} }).success).toBe(true);
  });
});
