import { Button, Pagination, Popconfirm, Table, Tag } from "antd";
import { useState } from "react";
import { Link } from "react-router-dom";
import { useDeleteProductMutation, useListAdminProductsQuery } from "../../api/catalog";
import type { Product } from "../../api/types";
import { Money } from "../../components/Money";
import { RequestState } from "../../components/RequestState";
import { useTitle } from "../../components/useTitle";

export default function AdminProducts() {
  useTitle("Products · Admin");
  const [page, setPage] = useState(1);
  const products = useListAdminProductsQuery({ page, per_page: 25 });
  const [remove] = useDeleteProductMutation();
  return (
    <>
      <h1>Products</h1>
      <p>
        <Link to="/admin/products/new" className="ant-btn ant-btn-primary">New product</Link>
      </p>
      <RequestState label="products" isLoading={products.isLoading} error={products.error} retry={products.refetch} isEmpty={products.data?.items.length === 0} empty="No products yet.">
        <Table<Product>
          rowKey="id"
          pagination={false}
          scroll={{ x: true }}
          dataSource={products.data?.items}
          columns={[
            { title: "Name", render: (_, p) => <Link to={`/admin/products/${p.id}`}>{p.name}</Link> },
            { title: "SKU", dataIndex: "sku" },
            { title: "Price", render: (_, p) => <Money value={p.price} /> },
            { title: "Stock", dataIndex: "stock" },
            { title: "Status", render: (_, p) => <Tag color={p.status === "active" ? "green" : "default"}>{p.status}</Tag> },
            {
              title: <span className="visually-hidden">Actions</span>,
              render: (_, p) =>
                p.status === "active" ? (
                  <Popconfirm title={`Remove ${p.name} from the store?`} okText="Remove" onConfirm={() => remove(p.id)}>
                    <Button type="link" danger aria-label={`Remove ${p.name}`}>Remove</Button>
                  </Popconfirm>
                ) : null,
            },
          ]}
        />
        <Pagination current={page} pageSize={25} total={products.data?.total ?? 0} onChange={setPage} hideOnSinglePage />
      </RequestState>
    </>
  );
}
