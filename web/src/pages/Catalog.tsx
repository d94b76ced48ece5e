import { Checkbox, Form, Input, Pagination, Select } from "antd";
import { useSearchParams } from "react-router-dom";
import { useListCategoriesQuery, useListProductsQuery, type ProductQuery } from "../api/catalog";
import { ProductCard } from "../components/ProductCard";
import { RequestState } from "../components/RequestState";
import { useTitle } from "../components/useTitle";

const sorts: { value: NonNullable<ProductQuery["sort"]>; label: string }[] = [
  { value: "relevance", label: "Relevance" },
  { value: "newest", label: "Newest" },
  { value: "price_asc", label: "Price: low to high" },
  { value: "price_desc", label: "Price: high to low" },
  { value: "rating_desc", label: "Best rated" },
];
const perPage = 24;
const money = /^\d+(\.\d{1,2})?$/;

/** readQuery reads the catalog's state from the URL: search, filters, sort and page live there. */
export function readQuery(p: URLSearchParams): ProductQuery {
  const page = Number(p.get("page") ?? "1");
  const sort = p.get("sort");
  const priceMin = p.get("price_min") ?? "";
  const priceMax = p.get("price_max") ?? "";
  return {
    q: p.get("q") ?? undefined,
    category: p.get("category") ?? undefined,
    price_min: money.test(priceMin) ? priceMin : undefined,
    price_max: money.test(priceMax) ? priceMax : undefined,
    in_stock: p.get("in_stock") === "true" || undefined,
    sort: sorts.some((s) => s.value === sort) ? (sort as ProductQuery["sort"]) : undefined,
    page: Number.isInteger(page) && page >= 1 ? page : 1,
    per_page: perPage,
  };
}

export default function Catalog() {
  const [params, setParams] = useSearchParams();
  const query = readQuery(params);
  useTitle(query.q ? `Search: ${query.q}` : "Catalog");
  const products = useListProductsQuery(query);
  const categories = useListCategoriesQuery();

  // Every change of a filter starts again at page 1.
  const set = (key: string, value: string | undefined) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    if (key !== "page") next.delete("page");
    setParams(next);
  };

  return (
    <div className="catalog">
      <h1>{query.q ? `Results for “${query.q}”` : "Catalog"}</h1>
      <Form layout="inline" className="filters" aria-label="Filters" onSubmitCapture={(e) => e.preventDefault()}>
        <Form.Item label="Category" htmlFor="f-category">
          <Select
            id="f-category"
            className="filter-select"
            value={query.category ?? ""}
            onChange={(v: string) => set("category", v)}
            options={[{ value: "", label: "All" }, ...(categories.data?.items ?? []).map((c) => ({ value: c.slug, label: c.name }))]}
          />
        </Form.Item>
        <Form.Item label="Min price" htmlFor="f-min">
          <Input id="f-min" inputMode="decimal" defaultValue={query.price_min} key={`min${query.price_min}`} onBlur={(e) => set("price_min", e.target.value.trim())} onPressEnter={(e) => set("price_min", e.currentTarget.value.trim())} className="filter-price" />
        </Form.Item>
        <Form.Item label="Max price" htmlFor="f-max">
          <Input id="f-max" inputMode="decimal" defaultValue={query.price_max} key={`max${query.price_max}`} onBlur={(e) => set("price_max", e.target.value.trim())} onPressEnter={(e) => set("price_max", e.currentTarget.value.trim())} className="filter-price" />
        </Form.Item>
        <Form.Item>
          <Checkbox checked={query.in_stock ?? false} onChange={(e) => set("in_stock", e.target.checked ? "true" : undefined)}>
            In stock only
          </Checkbox>
        </Form.Item>
        <Form.Item label="Sort by" htmlFor="f-sort">
          <Select id="f-sort" className="filter-select" value={query.sort ?? (query.q ? "relevance" : "newest")} onChange={(v: string) => set("sort", v)} options={sorts} />
        </Form.Item>
      </Form>
      <RequestState label="products" isLoading={products.isLoading} error={products.error} retry={products.refetch} isEmpty={products.data?.items.length === 0} empty="No products match these filters.">
        <p className="result-count" role="status">
          {products.data?.total} {products.data?.total === 1 ? "product" : "products"}
        </p>
        <ul className="product-grid" aria-busy={products.isFetching}>
          {products.data?.items.map((p, i) => (
            <li key={p.id}>
              <ProductCard product={p} eager={i < 4} />
            </li>
          ))}
        </ul>
        <Pagination current={query.page} pageSize={perPage} total={products.data?.total ?? 0} showSizeChanger={false} onChange={(page) => set("page", String(page))} hideOnSinglePage />
      </RequestState>
    </div>
  );
}
