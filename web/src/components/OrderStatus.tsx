import { Tag } from "antd";

const colors: Record<string, string> = {
  pending: "gold",
  paid: "blue",
  shipped: "geekblue",
  delivered: "green",
  cancelled: "default",
  return_requested: "orange",
  returned: "purple",
};

export const statusLabel = (s: string) => s.replaceAll("_", " ");

export function OrderStatus({ status }: { status: string }) {
  return <Tag color={colors[status] ?? "default"} className="order-status">{statusLabel(status)}</Tag>;
}
