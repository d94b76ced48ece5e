import { Tag } from "antd";
import { Link } from "react-router-dom";
import { useListCategoriesQuery, useListProductsQuery } from "../api/catalog";
import { ProductCard } from "../components/ProductCard";
import { RequestState } from "../components/RequestState";
import { useTitle } from "../components/useTitle";

export default function Home() {
  useTitle("Electronics for programmers");
  const featured = useListProductsQuery({ sort: "rating_desc", in_stock: true, per_page: 8 });
  const categories = useListCategoriesQuery();
  return (
    <>
      <section className="hero" aria-labelledby="hero-title">
        <h1 id="hero-title">Electronics for programmers</h1>
        <p>Keyboards, monitors, single-board computers and everything on a developer's desk.</p>
        <Link className="ant-btn ant-btn-primary" to="/products">
          Browse the catalog
        </Link>
      </section>
      <section aria-labelledby="categories-title">
        <h2 id="categories-title">Categories</h2>
        <RequestState label="categories" isLoading={categories.isLoading} error={categories.error} retry={categories.refetch} isEmpty={categories.data?.items.length === 0}>
          <ul className="category-list">
            {categories.data?.items
              .filter((c) => !c.parent)
              .map((c) => (
                <li key={c.slug}>
                  <Link to={`/products?category=${encodeURIComponent(c.slug)}`}>
                    <Tag>{c.name}</Tag>
                  </Link>
                </li>
              ))}
          </ul>
        </RequestState>
      </section>
      <section aria-labelledby="featured-title">
        <h2 id="featured-title">Featured</h2>
        <RequestState label="products" isLoading={featured.isLoading} error={featured.error} retry={featured.refetch} isEmpty={featured.data?.items.length === 0}>
          <ul className="product-grid">
            {featured.data?.items.map((p, i) => (
              <li key={p.id}>
                <ProductCard product={p} eager={i < 4} />
              </li>
            ))}
          </ul>
        </RequestState>
      </section>
    </>
  );
}
