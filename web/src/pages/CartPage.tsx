import { Alert, Button, InputNumber, Table, Tag } from "antd";
import { Link } from "react-router-dom";
import { useGetCartQuery, useRemoveFromCartMutation, useSetCartQuantityMutation } from "../api/cart";
import { toApiError } from "../api/errors";
import type { CartItem } from "../api/types";
import { Money } from "../components/Money";
import { RequestState } from "../components/RequestState";
import { RequireUser } from "../components/RequireSession";
import { useTitle } from "../components/useTitle";

export default function CartPage() {
  useTitle("Cart");
  return (
    <RequireUser>
      <CartView />
    </RequireUser>
  );
}

function CartView() {
  const cart = useGetCartQuery();
  const [setQuantity, quantityState] = useSetCartQuantityMutation();
  const [remove, removeState] = useRemoveFromCartMutation();
  const items = cart.data?.items ?? [];
  const unavailable = items.filter((i) => !i.available);
  const error = quantityState.error ?? removeState.error;
  return (
    <>
      <h1>Cart</h1>
      <RequestState label="cart" isLoading={cart.isLoading} error={cart.error} retry={cart.refetch} isEmpty={items.length === 0} empty={<span>Your cart is empty. <Link to="/products">Browse the catalog</Link>.</span>}>
        {error ? <Alert type="error" role="alert" showIcon title={toApiError(error).message} /> : null}
        {unavailable.length > 0 ? (
          <Alert type="warning" showIcon role="status" title="Some items are no longer available. Remove them to check out." />
        ) : null}
        <Table<CartItem>
          rowKey="id"
          pagination={false}
          dataSource={items}
          scroll={{ x: true }}
          columns={[
            {
              title: "Product",
              render: (_, i) => (
                <>
                  <Link to={`/products/${i.product_id}`}>{i.name}</Link> {i.available ? null : <Tag color="red">Unavailable</Tag>}
                </>
              ),
            },
            { title: "Price", render: (_, i) => <Money value={i.unit_price} /> },
            {
              title: "Quantity",
              render: (_, i) => (
                <InputNumber
                  aria-label={`Quantity of ${i.name}`}
                  min={1}
                  max={99}
                  defaultValue={i.quantity}
                  key={`${i.id}-${i.quantity}`}
                  onBlur={(e) => {
                    const q = Number(e.target.value);
                    if (Number.isInteger(q) && q >= 1 && q <= 99 && q !== i.quantity) void setQuantity({ id: i.id, quantity: q });
                  }}
                  onPressEnter={(e) => {
                    const q = Number(e.currentTarget.value);
                    if (Number.isInteger(q) && q >= 1 && q <= 99 && q !== i.quantity) void setQuantity({ id: i.id, quantity: q });
                  }}
                />
              ),
            },
            { title: "Total", render: (_, i) => <Money value={i.line_total} /> },
            {
              title: <span className="visually-hidden">Actions</span>,
              render: (_, i) => (
                <Button type="link" onClick={() => void remove(i.id)} aria-label={`Remove ${i.name}`}>
                  Remove
                </Button>
              ),
            },
          ]}
        />
        <div className="cart-summary">
          <p>
            {cart.data?.item_count} items · Subtotal <strong><Money value={cart.data?.subtotal} /></strong>
          </p>
          <Link to="/checkout" className={`ant-btn ant-btn-primary${unavailable.length > 0 ? " disabled-link" : ""}`} aria-disabled={unavailable.length > 0} onClick={(e) => unavailable.length > 0 && e.preventDefault()}>
            Check out
          </Link>
        </div>
      </RequestState>
    </>
  );
}
