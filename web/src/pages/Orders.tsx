import { Pagination, Table } from "antd";
import { useState } from "react";
import { Link } from "react-router-dom";
import { useListOrdersQuery } from "../api/orders";
import type { Order } from "../api/types";
import { Money } from "../components/Money";
import { OrderStatus } from "../components/OrderStatus";
import { RequestState } from "../components/RequestState";
import { RequireUser } from "../components/RequireSession";
import { useTitle } from "../components/useTitle";

export default function Orders() {
  useTitle("Your orders");
  return (
    <RequireUser>
      <OrderList />
    </RequireUser>
  );
}

function OrderList() {
  const [page, setPage] = useState(1);
  const orders = useListOrdersQuery({ page }, { refetchOnMountOrArgChange: true });
  return (
    <>
      <h1>Your orders</h1>
      <RequestState label="orders" isLoading={orders.isLoading} error={orders.error} retry={orders.refetch} isEmpty={orders.data?.items.length === 0} empty="You have not ordered anything yet.">
        <Table<Order>
          rowKey="id"
          pagination={false}
          scroll={{ x: true }}
          dataSource={orders.data?.items}
          columns={[
            { title: "Order", render: (_, o) => <Link to={`/orders/${o.id}`}>#{o.id.slice(0, 8)}</Link> },
            { title: "Placed", render: (_, o) => new Date(o.created_at).toLocaleString("en-US") },
            { title: "Items", render: (_, o) => o.items.reduce((n, i) => n + i.quantity, 0) },
            { title: "Total", render: (_, o) => <Money value={o.total} /> },
            { title: "Status", render: (_, o) => <OrderStatus status={o.status} /> },
          ]}
        />
        <Pagination current={page} pageSize={10} total={orders.data?.total ?? 0} onChange={setPage} hideOnSinglePage />
      </RequestState>
    </>
  );
}
