import { zodResolver } from "@hookform/resolvers/zod";
import { Alert, Button, Checkbox, Form, Radio, Select } from "antd";
import { useRef, useState } from "react";
import { Controller, useForm, useWatch } from "react-hook-form";
import { Link, useNavigate } from "react-router-dom";
import { z } from "zod";
import { useAddAddressMutation, useListAddressesQuery } from "../api/account";
import { useGetCartQuery } from "../api/cart";
import { usePlaceOrderMutation } from "../api/orders";
import type { PlaceOrderRequest } from "../api/types";
import { addressFields } from "../components/address";
import { applyApiErrors, Field } from "../components/form";
import { Money } from "../components/Money";
import { RequestState } from "../components/RequestState";
import { RequireUser } from "../components/RequireSession";
import { useTitle } from "../components/useTitle";

/** Stripe's test PaymentMethods: card data never reaches the store, only a pm_… id. */
export const testCards = [
  { value: "pm_card_visa", label: "Visa •••• 4242 (succeeds)" },
  { value: "pm_card_mastercard", label: "Mastercard •••• 4444 (succeeds)" },
  { value: "pm_card_chargeDeclined", label: "Visa •••• 0002 (declined)" },
];



export const checkoutSchema = z
  .object({
    address_choice: z.string(), // a saved address id, or "new"
    shipping_address: addressFields.partial(),
    save_address: z.boolean(),
    discount_code: z.string().trim().max(64),
    payment: z.enum(["card", "paypal"]),
    card: z.string(),
  })
  .superRefine((v, ctx) => {
    if (v.address_choice === "new") {
      const r = addressFields.safeParse(v.shipping_address);
      if (!r.success) for (const i of r.error.issues) ctx.addIssue({ ...i, path: ["shipping_address", ...i.path] } as never);
    }
  });
export type CheckoutValues = z.infer<typeof checkoutSchema>;

/** toPlaceOrder builds POST /orders' body from the form. */
export function toPlaceOrder(v: CheckoutValues, addressId?: string): PlaceOrderRequest {
  const body: PlaceOrderRequest = { payment_method: v.payment === "paypal" ? "paypal" : v.card };
  if (v.discount_code) body.discount_code = v.discount_code.toUpperCase();
  if (addressId) body.address_id = addressId;
  else {
    const a = v.shipping_address;
    body.shipping_address = { line1: a.line1 ?? "", line2: a.line2 ?? "", city: a.city ?? "", state: a.state ?? "", postal_code: a.postal_code ?? "", country: (a.country ?? "").toUpperCase() };
  }
  return body;
}

export default function Checkout() {
  useTitle("Checkout");
  return (
    <RequireUser>
      <CheckoutForm />
    </RequireUser>
  );
}

const knownFields = ["discount_code", "shipping_address.line1", "shipping_address.line2", "shipping_address.city", "shipping_address.state", "shipping_address.postal_code", "shipping_address.country"] as const;

function CheckoutForm() {
  const navigate = useNavigate();
  const cart = useGetCartQuery();
  const addresses = useListAddressesQuery();
  const [addAddress] = useAddAddressMutation();
  const [placeOrder] = usePlaceOrderMutation();
  const [formError, setFormError] = useState("");
  // One key per checkout attempt: a double click or a retry after a lost answer is one order.
  const idempotencyKey = useRef(crypto.randomUUID());
  const saved = addresses.data?.items ?? [];

  const { control, handleSubmit, setError, formState } = useForm<CheckoutValues>({
    resolver: zodResolver(checkoutSchema),
    values: {
      address_choice: saved[0]?.id ?? "new",
      shipping_address: { line1: "", line2: "", city: "", state: "", postal_code: "", country: "US" },
      save_address: true,
      discount_code: "",
      payment: "card",
      card: "pm_card_visa",
    },
    resetOptions: { keepDirtyValues: true },
  });
  const choice = useWatch({ control, name: "address_choice" });
  const payment = useWatch({ control, name: "payment" });

  const onSubmit = handleSubmit(async (v) => {
    setFormError("");
    try {
      let addressId = v.address_choice !== "new" ? v.address_choice : undefined;
      if (!addressId && v.save_address) {
        const a = toPlaceOrder(v).shipping_address ?? {};
        const saved = await addAddress({ line1: a.line1 ?? "", line2: a.line2 ?? "", city: a.city ?? "", state: a.state ?? "", postal_code: a.postal_code ?? "", country: a.country ?? "" }).unwrap();
        addressId = saved.id;
      }
      const order = await placeOrder({ body: toPlaceOrder(v, addressId), idempotencyKey: idempotencyKey.current }).unwrap();
      idempotencyKey.current = crypto.randomUUID();
      if (order.payment.approval_url) {
        // PayPal: the buyer approves on PayPal's page, which sends them back to the order.
        window.location.assign(order.payment.approval_url);
        return;
      }
      navigate(`/orders/${order.id}`);
    } catch (e) {
      setFormError(applyApiErrors(e as never, setError, knownFields));
    }
  });

  const items = cart.data?.items ?? [];
  return (
    <>
      <h1>Checkout</h1>
      <RequestState label="cart" isLoading={cart.isLoading || addresses.isLoading} error={cart.error ?? addresses.error} isEmpty={items.length === 0} empty={<span>Your cart is empty. <Link to="/products">Browse the catalog</Link>.</span>}>
        <div className="checkout">
          <Form layout="vertical" component="div" className="checkout-form">
            <form onSubmit={onSubmit} noValidate aria-label="Checkout">
              {formError ? <Alert type="error" role="alert" showIcon title={formError} className="form-error" /> : null}
              <fieldset>
                <legend>Shipping address</legend>
                {saved.length > 0 ? (
                  <Controller
                    control={control}
                    name="address_choice"
                    render={({ field }) => (
                      <Radio.Group {...field} className="address-choice" aria-label="Shipping address">
                        {saved.map((a) => (
                          <Radio key={a.id} value={a.id}>
                            {a.line1}, {a.city} {a.postal_code}, {a.country}
                          </Radio>
                        ))}
                        <Radio value="new">A new address</Radio>
                      </Radio.Group>
                    )}
                  />
                ) : null}
                {choice === "new" ? (
                  <>
                    <Field control={control} name="shipping_address.line1" label="Street address" />
                    <Field control={control} name="shipping_address.line2" label="Apartment, suite (optional)" />
                    <Field control={control} name="shipping_address.city" label="City" />
                    <Field control={control} name="shipping_address.state" label="State or region (optional)" />
                    <Field control={control} name="shipping_address.postal_code" label="Postal code" />
                    <Field control={control} name="shipping_address.country" label="Country code" />
                    <Controller control={control} name="save_address" render={({ field }) => <Checkbox checked={field.value} onChange={(e) => field.onChange(e.target.checked)}>Save this address to my account</Checkbox>} />
                  </>
                ) : null}
              </fieldset>
              <fieldset>
                <legend>Discount</legend>
                <Field control={control} name="discount_code" label="Discount code (optional)" />
              </fieldset>
              <fieldset>
                <legend>Payment</legend>
                <Controller
                  control={control}
                  name="payment"
                  render={({ field }) => (
                    <Radio.Group {...field} aria-label="Payment method">
                      <Radio value="card">Card</Radio>
                      <Radio value="paypal">PayPal</Radio>
                    </Radio.Group>
                  )}
                />
                {payment === "card" ? (
                  <Field control={control} name="card" label="Card (Stripe test card)">
                    <Select options={testCards} />
                  </Field>
                ) : (
                  <p>You will approve the payment on PayPal's page and come back here.</p>
                )}
              </fieldset>
              <Button type="primary" htmlType="submit" size="large" loading={formState.isSubmitting}>
                Place order
              </Button>
            </form>
          </Form>
          <aside className="checkout-summary" aria-labelledby="summary-title">
            <h2 id="summary-title">Order summary</h2>
            <ul>
              {items.map((i) => (
                <li key={i.id}>
                  {i.quantity} × {i.name} <Money value={i.line_total} />
                </li>
              ))}
            </ul>
            <p>
              Subtotal <strong><Money value={cart.data?.subtotal} /></strong>
            </p>
            <p className="hint">Discounts are applied when the order is placed.</p>
          </aside>
        </div>
      </RequestState>
    </>
  );
}
