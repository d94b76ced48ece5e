import { zodResolver } from "@hookform/resolvers/zod";
import { Alert, Button, Form, Input, InputNumber, Radio, Table } from "antd";
import { useState } from "react";
import { Controller, useForm, useWatch } from "react-hook-form";
import { z } from "zod";
import { useCreateDiscountMutation, useListDiscountsQuery } from "../../api/orders";
import type { CreateDiscountRequest, Discount } from "../../api/types";
import { applyApiErrors, Field } from "../../components/form";
import { Money } from "../../components/Money";
import { RequestState } from "../../components/RequestState";
import { useTitle } from "../../components/useTitle";

const amount = /^\d+(\.\d{1,2})?$/;
export const discountSchema = z
  .object({
    code: z.string().trim().min(1, "Enter the code.").max(64).regex(/^[A-Za-z0-9_-]+$/, "Letters, digits, - and _."),
    kind: z.enum(["percent", "amount"]),
    percent_off: z.number().int().min(0).max(100),
    amount_off: z.string().trim(),
    min_subtotal: z.string().trim().regex(/^(\d+(\.\d{1,2})?)?$/, "An amount like 50.00."),
    starts_at: z.string().trim(),
    expires_at: z.string().trim(),
    max_redemptions: z.number().int().min(0, "0 means unlimited."),
  })
  .superRefine((v, ctx) => {
    if (v.kind === "percent" && (v.percent_off < 1 || v.percent_off > 100)) ctx.addIssue({ code: "custom", path: ["percent_off"], message: "1 to 100 percent." });
    if (v.kind === "amount" && (!amount.test(v.amount_off) || Number(v.amount_off) <= 0)) ctx.addIssue({ code: "custom", path: ["amount_off"], message: "An amount above 0, like 10.00." });
  });
type Values = z.infer<typeof discountSchema>;

/** toDiscountRequest builds POST /admin/discounts' body: exactly one of percent and amount. */
export function toDiscountRequest(v: Values): CreateDiscountRequest {
  const usd = (a: string) => ({ amount: a, currency: "USD" });
  return {
    code: v.code.toUpperCase(),
    ...(v.kind === "percent" ? { percent_off: v.percent_off } : { amount_off: usd(v.amount_off) }),
    ...(v.min_subtotal ? { min_subtotal: usd(v.min_subtotal) } : {}),
    ...(v.starts_at ? { starts_at: new Date(v.starts_at).toISOString() } : {}),
    ...(v.expires_at ? { expires_at: new Date(v.expires_at).toISOString() } : {}),
    max_redemptions: v.max_redemptions,
  };
}

export default function AdminDiscounts() {
  useTitle("Discounts · Admin");
  const list = useListDiscountsQuery({});
  return (
    <>
      <h1>Discounts</h1>
      <RequestState label="discounts" isLoading={list.isLoading} error={list.error} retry={list.refetch} isEmpty={list.data?.items.length === 0} empty="No discount codes.">
        <Table<Discount>
          rowKey="code"
          pagination={false}
          scroll={{ x: true }}
          dataSource={list.data?.items}
          columns={[
            { title: "Code", dataIndex: "code" },
            { title: "Off", render: (_, d) => (d.percent_off ? `${d.percent_off} %` : <Money value={d.amount_off} />) },
            { title: "Minimum", render: (_, d) => <Money value={d.min_subtotal} /> },
            { title: "Window", render: (_, d) => `${d.starts_at ? new Date(d.starts_at).toLocaleDateString("en-US") : "—"} to ${d.expires_at ? new Date(d.expires_at).toLocaleDateString("en-US") : "—"}` },
            { title: "Redeemed", render: (_, d) => `${d.redemptions} of ${d.max_redemptions || "∞"}` },
          ]}
        />
      </RequestState>
      <NewDiscount />
    </>
  );
}

function NewDiscount() {
  const [create, state] = useCreateDiscountMutation();
  const [formError, setFormError] = useState("");
  const { control, handleSubmit, setError, reset, formState } = useForm<Values>({
    resolver: zodResolver(discountSchema),
    defaultValues: { code: "", kind: "percent", percent_off: 10, amount_off: "", min_subtotal: "", starts_at: "", expires_at: "", max_redemptions: 0 },
  });
  const kind = useWatch({ control, name: "kind" });
  const onSubmit = handleSubmit(async (v) => {
    setFormError("");
    try {
      await create(toDiscountRequest(v)).unwrap();
      reset();
    } catch (e) {
      setFormError(applyApiErrors(e as never, setError, ["code", "percent_off", "max_redemptions", "starts_at", "expires_at"], { "amount_off.amount": "amount_off", amount_off: "amount_off", "min_subtotal.amount": "min_subtotal", min_subtotal: "min_subtotal" }));
    }
  });
  return (
    <Form layout="vertical" component="div" className="narrow-form">
      <form onSubmit={onSubmit} noValidate aria-labelledby="new-discount-title">
        <h2 id="new-discount-title">New discount code</h2>
        {formError ? <Alert type="error" role="alert" title={formError} /> : null}
        {state.isSuccess ? <Alert type="success" role="status" title="Created." /> : null}
        <Field control={control} name="code" label="Code" />
        <Controller
          control={control}
          name="kind"
          render={({ field }) => (
            <Radio.Group {...field} aria-label="Kind of discount">
              <Radio value="percent">Percent off</Radio>
              <Radio value="amount">Amount off</Radio>
            </Radio.Group>
          )}
        />
        {kind === "percent" ? (
          <Field control={control} name="percent_off" label="Percent off">
            <InputNumber min={1} max={100} />
          </Field>
        ) : (
          <Field control={control} name="amount_off" label="Amount off (USD)">
            <Input inputMode="decimal" />
          </Field>
        )}
        <Field control={control} name="min_subtotal" label="Minimum subtotal (USD, optional)">
          <Input inputMode="decimal" />
        </Field>
        <Field control={control} name="starts_at" label="Starts (optional)">
          <Input type="datetime-local" />
        </Field>
        <Field control={control} name="expires_at" label="Expires (optional)">
          <Input type="datetime-local" />
        </Field>
        <Field control={control} name="max_redemptions" label="Maximum redemptions (0: unlimited)">
          <InputNumber min={0} />
        </Field>
        <Button type="primary" htmlType="submit" loading={formState.isSubmitting}>Create discount</Button>
      </form>
    </Form>
  );
}
