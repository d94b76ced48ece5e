import type { Money as MoneyValue } from "../api/types";

const formats = new Map<string, Intl.NumberFormat>();

/** formatMoney shows an API amount (a decimal string, never a float on the wire) in its currency. */
export function formatMoney(m: MoneyValue | undefined): string {
  if (!m || !m.currency) return "";
  let f = formats.get(m.currency);
  if (!f) {
    f = new Intl.NumberFormat("en-US", { style: "currency", currency: m.currency });
    formats.set(m.currency, f);
  }
  return f.format(Number(m.amount));
}

export function Money({ value }: { value: MoneyValue | undefined }) {
  return <span className="money">{formatMoney(value)}</span>;
}
