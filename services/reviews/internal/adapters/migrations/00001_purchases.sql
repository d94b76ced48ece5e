-- The reviews context's own record, in its schema (pgmigrate sets the search_path): who
-- placed each order and with which products (from ordering's OrderPlaced), so that the
-- order's OrderPaid can verify the purchases of its products.

-- +goose Up
CREATE TABLE orders (
    order_id    text PRIMARY KEY,
    user_id     text NOT NULL,
    product_ids text[] NOT NULL
);

-- +goose Down
DROP TABLE orders;
