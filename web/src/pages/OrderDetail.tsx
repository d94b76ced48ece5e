import { Alert, Button, Descriptions, Input, Popconfirm, Space, Table, Timeline } from "antd";
import { useEffect, useRef, useState } from "react";
import { useParams, useSearchParams } from "react-router-dom";
import { toApiError } from "../api/errors";
import { useCancelOrderMutation, useCapturePayPalMutation, useGetOrderQuery, useRequestReturnMutation } from "../api/orders";
import type { Order } from "../api/types";
import { Money } from "../components/Money";
import { OrderStatus, statusLabel } from "../components/OrderStatus";
import { RequestState } from "../components/RequestState";
import { RequireUser } from "../components/RequireSession";
import { useTitle } from "../components/useTitle";

/** How often an order's page asks again: quickly while checkout runs, slowly once it settled. */
export function pollInterval(o: Order | undefined): number {
  if (!o) return 0;
  if (o.status === "pending") return 1000;
  if (o.status === "cancelled" || o.status === "returned") return 0;
  return 5000;
}

export default function OrderDetail() {
  useTitle("Order");
  return (
    <RequireUser>
      <OrderView />
    </RequireUser>
  );
}

function OrderView() {
  const { id = "" } = useParams();
  const [interval, setPoll] = useState(1000);
  const order = useGetOrderQuery(id, { pollingInterval: interval, skipPollingIfUnfocused: true });
  useEffect(() => setPoll(pollInterval(order.data)), [order.data]);
  return (
    <RequestState label="order" isLoading={order.isLoading} error={order.error} retry={order.refetch}>
      {order.data ? <OrderBody order={order.data} /> : null}
    </RequestState>
  );
}

function OrderBody({ order }: { order: Order }) {
  const [params, setParams] = useSearchParams();
  const [capture, captureState] = useCapturePayPalMutation();
  const [cancel, cancelState] = useCancelOrderMutation();
  const [requestReturn, returnState] = useRequestReturnMutation();
  const [returnReason, setReturnReason] = useState("");
  const captured = useRef(false);

  // Back from PayPal's approval page: capture the approved payment once.
  const approved = params.get("paypal") === "approved";
  useEffect(() => {
    if (approved && !captured.current && order.status === "pending" && order.payment.provider === "paypal") {
      captured.current = true;
      void capture(order.id).unwrap().then(() => setParams({}, { replace: true }), () => undefined);
    }
  }, [approved, order, capture, setParams]);

  const error = captureState.error ?? cancelState.error ?? returnState.error;
  const a = order.shipping_address;
  return (
    <article aria-labelledby="order-title">
      <h1 id="order-title">
        Order #{order.id.slice(0, 8)} <OrderStatus status={order.status} />
      </h1>
      <p className="visually-hidden" role="status" aria-live="polite">
        Order status: {statusLabel(order.status)}
      </p>
      {params.get("paypal") === "cancelled" ? <Alert type="warning" showIcon title="You left PayPal without paying. The order waits for payment for 30 minutes." /> : null}
      {order.status === "pending" && order.payment.approval_url && !approved ? (
        <Alert type="info" showIcon title="Waiting for your PayPal approval." action={<a href={order.payment.approval_url}>Pay with PayPal</a>} />
      ) : null}
      {order.status === "cancelled" ? <Alert type="warning" showIcon title={`Cancelled: ${statusLabel(order.cancellation_reason || "by request")}.`} description={order.payment.refunded ? "Your payment was refunded." : undefined} /> : null}
      {error ? <Alert type="error" role="alert" showIcon title={toApiError(error).message} /> : null}
      <Table
        rowKey="product_id"
        pagination={false}
        scroll={{ x: true }}
        dataSource={order.items}
        columns={[
          { title: "Product", dataIndex: "name" },
          { title: "Price", render: (_, i) => <Money value={i.unit_price} /> },
          { title: "Quantity", dataIndex: "quantity" },
          { title: "Total", render: (_, i) => <Money value={i.line_total} /> },
        ]}
      />
      <Descriptions column={1} size="small" className="order-totals" bordered>
        <Descriptions.Item label="Subtotal"><Money value={order.subtotal} /></Descriptions.Item>
        <Descriptions.Item label={`Discount${order.discount_code ? ` (${order.discount_code})` : ""}`}>−<Money value={order.discount} /></Descriptions.Item>
        <Descriptions.Item label="Total"><strong><Money value={order.total} /></strong></Descriptions.Item>
        <Descriptions.Item label="Payment">
          {order.payment.provider} · {order.payment.status}
          {order.payment.refunded ? " · refunded" : ""}
        </Descriptions.Item>
        <Descriptions.Item label="Ship to">
          {a.line1} {a.line2}, {a.city} {a.state} {a.postal_code}, {a.country}
        </Descriptions.Item>
      </Descriptions>
      <h2>History</h2>
      <Timeline items={order.status_history.map((h) => ({ key: h.at + h.status, content: `${statusLabel(h.status)} — ${new Date(h.at).toLocaleString("en-US")}` }))} />
      <Space wrap>
        {order.status === "pending" || order.status === "paid" ? (
          <Popconfirm title="Cancel this order?" description={order.status === "paid" ? "Your payment will be refunded." : undefined} okText="Cancel order" cancelText="Keep it" onConfirm={() => cancel({ id: order.id })}>
            <Button danger loading={cancelState.isLoading}>Cancel order</Button>
          </Popconfirm>
        ) : null}
        {order.status === "delivered" ? (
          <Space.Compact>
            <Input aria-label="Reason for the return" placeholder="Reason for the return" value={returnReason} onChange={(e) => setReturnReason(e.target.value)} />
            <Button disabled={!returnReason.trim()} loading={returnState.isLoading} onClick={() => requestReturn({ id: order.id, reason: returnReason.trim() })}>
              Request a return
            </Button>
          </Space.Compact>
        ) : null}
      </Space>
    </article>
  );
}
