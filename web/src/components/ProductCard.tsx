import { Card, Rate, Tag } from "antd";
import { Link } from "react-router-dom";
import type { Product } from "../api/types";
import { Money } from "./Money";
import { ProductImage } from "./ProductImage";

export function ProductCard({ product, eager }: { product: Product; eager?: boolean }) {
  return (
    <Card
      hoverable
      className="product-card"
      cover={<ProductImage image={product.images[0]} sizes="(max-width: 600px) 50vw, 240px" eager={eager} />}
    >
      <h3 className="product-card-name">
        <Link to={`/products/${product.slug}`}>{product.name}</Link>
      </h3>
      <div className="product-card-meta">
        <Money value={product.price} />
        {product.in_stock ? null : <Tag color="default">Out of stock</Tag>}
      </div>
      {product.rating.count > 0 ? (
        <div className="product-card-rating">
          <Rate disabled allowHalf value={product.rating.average} aria-label={`Rated ${product.rating.average.toFixed(1)} of 5`} />
          <span> ({product.rating.count})</span>
        </div>
      ) : null}
    </Card>
  );
}
