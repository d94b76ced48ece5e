import { Alert, Button, InputNumber, Rate, Space, Table, Tag } from "antd";
import { useState } from "react";
import { Link, useLocation, useParams } from "react-router-dom";
import { useAddToCartMutation, useAddToWishlistMutation } from "../api/cart";
import { useGetProductQuery } from "../api/catalog";
import { toApiError } from "../api/errors";
import type { Product } from "../api/types";
import { Money } from "../components/Money";
import { ProductImage } from "../components/ProductImage";
import { RequestState } from "../components/RequestState";
import { Reviews } from "../components/Reviews";
import { useTitle } from "../components/useTitle";
import { useAppSelector } from "../app/store";

export default function ProductPage() {
  const { slug = "" } = useParams();
  const product = useGetProductQuery(slug);
  useTitle(product.data?.name);
  return (
    <RequestState label="product" isLoading={product.isLoading} error={product.error} retry={product.refetch}>
      {product.data ? <ProductView product={product.data} /> : null}
    </RequestState>
  );
}

function ProductView({ product }: { product: Product }) {
  return (
    <article className="product-page" aria-labelledby="product-name">
      <Gallery product={product} />
      <div className="product-summary">
        <h1 id="product-name">{product.name}</h1>
        <p className="product-brand">
          {product.brand} · SKU {product.sku}
        </p>
        {product.rating.count > 0 ? (
          <p>
            <Rate disabled allowHalf value={product.rating.average} aria-label={`Rated ${product.rating.average.toFixed(1)} of 5`} /> {product.rating.count} reviews
          </p>
        ) : null}
        <p className="product-price">
          <Money value={product.price} />
        </p>
        <p>{product.in_stock ? <Tag color="green">In stock ({product.stock})</Tag> : <Tag>Out of stock</Tag>}</p>
        <BuyBox product={product} />
        <p className="product-description">{product.description}</p>
      </div>
      <section className="product-specs" aria-labelledby="specs-title">
        <h2 id="specs-title">Specifications</h2>
        <Table
          size="small"
          pagination={false}
          rowKey="key"
          dataSource={product.specs}
          locale={{ emptyText: "No specifications listed." }}
          columns={[
            { title: "Property", dataIndex: "key" },
            { title: "Value", render: (_, s) => `${s.value}${s.unit ? ` ${s.unit}` : ""}` },
          ]}
        />
      </section>
      <Reviews productId={product.id} />
    </article>
  );
}

function Gallery({ product }: { product: Product }) {
  const [shown, setShown] = useState(0);
  const images = product.images;
  return (
    <div className="gallery">
      <ProductImage image={images[shown]} sizes="(max-width: 800px) 100vw, 560px" eager className="gallery-main" />
      {images.length > 1 ? (
        <ul className="gallery-thumbs" aria-label="Pictures">
          {images.map((img, i) => (
            <li key={img.id || img.url}>
              <button type="button" onClick={() => setShown(i)} aria-pressed={i === shown} aria-label={`Show picture ${i + 1}: ${img.alt}`}>
                <ProductImage image={img} sizes="80px" />
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

function BuyBox({ product }: { product: Product }) {
  const signedIn = useAppSelector((s) => s.session.status === "signed-in");
  const location = useLocation();
  const [notice, setNotice] = useState("");
  const [quantity, setQuantity] = useState(1);
  const [addToCart, cart] = useAddToCartMutation();
  const [addToWishlist, wishlist] = useAddToWishlistMutation();
  if (!signedIn) {
    return (
      <p>
        <Link to={`/signin?next=${encodeURIComponent(location.pathname)}`}>Sign in</Link> to buy this product.
      </p>
    );
  }
  const error = cart.error ?? wishlist.error;
  return (
    <div className="buy-box">
      <Space wrap>
        <label htmlFor="quantity">Quantity</label>
        <InputNumber id="quantity" min={1} max={99} value={quantity} onChange={(v) => setQuantity(v ?? 1)} disabled={!product.in_stock} />
        <Button
          type="primary"
          disabled={!product.in_stock}
          loading={cart.isLoading}
          onClick={async () => {
            await addToCart({ product_id: product.id, quantity })
              .unwrap()
              .then(() => setNotice(`${product.name} is in your cart.`))
              .catch(() => undefined);
          }}
        >
          Add to cart
        </Button>
        <Button
          loading={wishlist.isLoading}
          onClick={async () => {
            await addToWishlist({ product_id: product.id })
              .unwrap()
              .then(() => setNotice("Saved to your wishlist."))
              .catch(() => undefined);
          }}
        >
          Add to wishlist
        </Button>
      </Space>
      <p role="status" className="notice">
        {notice ? (
          <>
            {notice} <Link to="/cart">View the cart</Link>
          </>
        ) : null}
      </p>
      {error ? <Alert type="error" role="alert" showIcon title={toApiError(error).message} /> : null}
    </div>
  );
}
