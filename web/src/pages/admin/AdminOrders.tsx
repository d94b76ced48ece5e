import { Alert, Pagination, Select, Table } from "antd";
import { useSearchParams } from "react-router-dom";
import { toApiError } from "../../api/errors";
import { useListAdminOrdersQuery, useSetOrderStatusMutation } from "../../api/orders";
import type { Order } from "../../api/types";
import { Money } from "../../components/Money";
import { OrderStatus, statusLabel } from "../../components/OrderStatus";
import { RequestState } from "../../components/RequestState";
import { useTitle } from "../../components/useTitle";

const statuses = ["pending", "paid", "shipped", "delivered", "cancelled", "return_requested", "returned"];

/** The moves an admin may make from each status (API.md's lifecycle; the API enforces it too). */
export const adminMoves: Record<string, string[]> = {
  pending: ["cancelled"],
  paid: ["shipped", "cancelled"],
  shipped: ["delivered"],
  return_requested: ["returned"],
};

export default function AdminOrders() {
  useTitle("Orders · Admin");
  const [params, setParams] = useSearchParams();
  const status = params.get("status") ?? "";
  const page = Math.max(1, Number(params.get("page") ?? "1") || 1);
  const orders = useListAdminOrdersQuery({ page, status: status || undefined }, { pollingInterval: 5000 });
  const [setStatus, state] = useSetOrderStatusMutation();
  return (
    <>
      <h1>Orders</h1>
      <label htmlFor="status-filter">Status </label>
      <Select
        id="status-filter"
        className="filter-select"
        value={status}
        onChange={(v: string) => setParams(v ? { status: v } : {})}
        options={[{ value: "", label: "All" }, ...statuses.map((s) => ({ value: s, label: statusLabel(s) }))]}
      />
      {state.error ? <Alert type="error" role="alert" showIcon title={toApiError(state.error).message} /> : null}
      <RequestState label="orders" isLoading={orders.isLoading} error={orders.error} retry={orders.refetch} isEmpty={orders.data?.items.length === 0} empty="No orders.">
        <Table<Order>
          rowKey="id"
          pagination={false}
          scroll={{ x: true }}
          dataSource={orders.data?.items}
          columns={[
            { title: "Order", render: (_, o) => `#${o.id.slice(0, 8)}` },
            { title: "Placed", render: (_, o) => new Date(o.created_at).toLocaleString("en-US") },
            { title: "Total", render: (_, o) => <Money value={o.total} /> },
            { title: "Status", render: (_, o) => <OrderStatus status={o.status} /> },
            {
              title: "Change status",
              render: (_, o) =>
                (adminMoves[o.status] ?? []).length > 0 ? (
                  <Select
                    aria-label={`Change the status of order ${o.id.slice(0, 8)}`}
                    placeholder="Move to…"
                    className="filter-select"
                    value={null}
                    onChange={(to: string) => void setStatus({ id: o.id, status: to })}
                    options={(adminMoves[o.status] ?? []).map((s) => ({ value: s, label: statusLabel(s) }))}
                  />
                ) : null,
            },
          ]}
        />
        <Pagination current={page} pageSize={20} total={orders.data?.total ?? 0} onChange={(p) => setParams({ ...(status ? { status } : {}), page: String(p) })} hideOnSinglePage />
      </RequestState>
    </>
  );
}
