import { zodResolver } from "@hookform/resolvers/zod";
import { Alert, Button, Form, Input, InputNumber, Select, Space } from "antd";
import { useState } from "react";
import { useFieldArray, useForm } from "react-hook-form";
import { useNavigate, useParams } from "react-router-dom";
import { z } from "zod";
import { useCreateProductMutation, useGetProductQuery, useListCategoriesQuery, useUpdateProductMutation, useUploadProductImageMutation } from "../../api/catalog";
import { toApiError } from "../../api/errors";
import type { CreateProductRequest, Product } from "../../api/types";
import { applyApiErrors, Field } from "../../components/form";
import { ProductImage } from "../../components/ProductImage";
import { RequestState } from "../../components/RequestState";
import { useTitle } from "../../components/useTitle";

export const productSchema = z.object({
  sku: z.string().trim().min(1, "Enter the SKU.").max(64),
  name: z.string().trim().min(1, "Enter the name.").max(200),
  slug: z.string().trim().regex(/^([a-z0-9]+(-[a-z0-9]+)*)?$/, "Lower-case letters, digits and dashes."),
  category: z.string().min(1, "Choose a category."),
  brand: z.string().trim().max(100),
  description: z.string().trim().max(10000),
  price: z.string().trim().regex(/^\d+(\.\d{1,2})?$/, "A price like 129.99.").refine((p) => Number(p) > 0, "The price must be above 0."),
  stock: z.number().int().min(0, "Stock cannot be negative."),
  specs: z.array(z.object({ key: z.string().trim().min(1, "Name the property."), value: z.string().trim().min(1, "Give the value."), unit: z.string().trim() })),
});
type Values = z.infer<typeof productSchema>;

export function toRequest(v: Values): CreateProductRequest {
  return { ...v, slug: v.slug || undefined, price: { amount: v.price, currency: "USD" } };
}

export default function AdminProductEdit() {
  const { id } = useParams();
  const product = useGetProductQuery(id ?? "", { skip: !id });
  useTitle(id ? "Edit product · Admin" : "New product · Admin");
  if (!id) return <ProductForm />;
  return (
    <RequestState label="product" isLoading={product.isLoading} error={product.error} retry={product.refetch}>
      {product.data ? <ProductForm product={product.data} /> : null}
    </RequestState>
  );
}

function ProductForm({ product }: { product?: Product }) {
  const navigate = useNavigate();
  const categories = useListCategoriesQuery();
  const [create] = useCreateProductMutation();
  const [update, updateState] = useUpdateProductMutation();
  const [formError, setFormError] = useState("");
  const { control, handleSubmit, setError, formState } = useForm<Values>({
    resolver: zodResolver(productSchema),
    defaultValues: {
      sku: product?.sku ?? "",
      name: product?.name ?? "",
      slug: product?.slug ?? "",
      category: product?.category ?? "",
      brand: product?.brand ?? "",
      description: product?.description ?? "",
      price: product?.price.amount ?? "",
      stock: product?.stock ?? 0,
      specs: product?.specs ?? [],
    },
  });
  const specs = useFieldArray({ control, name: "specs" });
  const onSubmit = handleSubmit(async (v) => {
    setFormError("");
    try {
      if (product) await update({ id: product.id, body: toRequest(v) }).unwrap();
      else {
        const created = await create(toRequest(v)).unwrap();
        navigate(`/admin/products/${created.id}`, { replace: true });
      }
    } catch (e) {
      setFormError(applyApiErrors(e as never, setError, ["sku", "name", "slug", "category", "brand", "description", "stock"], { "price.amount": "price", price: "price" }));
    }
  });
  return (
    <>
      <h1>{product ? `Edit ${product.name}` : "New product"}</h1>
      <Form layout="vertical" component="div" className="narrow-form">
        <form onSubmit={onSubmit} noValidate aria-label="Product">
          {formError ? <Alert type="error" role="alert" showIcon title={formError} /> : null}
          {updateState.isSuccess ? <Alert type="success" role="status" title="Saved." /> : null}
          <Field control={control} name="sku" label="SKU" />
          <Field control={control} name="name" label="Name" />
          <Field control={control} name="slug" label="Slug (optional: derived from the name)" />
          <Field control={control} name="category" label="Category">
            <Select options={(categories.data?.items ?? []).map((c) => ({ value: c.slug, label: c.name }))} />
          </Field>
          <Field control={control} name="brand" label="Brand" />
          <Field control={control} name="description" label="Description">
            <Input.TextArea rows={4} />
          </Field>
          <Field control={control} name="price" label="Price (USD)">
            <Input inputMode="decimal" />
          </Field>
          <Field control={control} name="stock" label="Stock">
            <InputNumber min={0} />
          </Field>
          <fieldset>
            <legend>Specifications</legend>
            {specs.fields.map((f, i) => (
              <Space key={f.id} align="start" wrap>
                <Field control={control} name={`specs.${i}.key`} label="Property" />
                <Field control={control} name={`specs.${i}.value`} label="Value" />
                <Field control={control} name={`specs.${i}.unit`} label="Unit" />
                <Button onClick={() => specs.remove(i)} aria-label={`Remove specification ${i + 1}`}>Remove</Button>
              </Space>
            ))}
            <Button onClick={() => specs.append({ key: "", value: "", unit: "" })}>Add a specification</Button>
          </fieldset>
          <Button type="primary" htmlType="submit" loading={formState.isSubmitting}>
            {product ? "Save" : "Create product"}
          </Button>
        </form>
      </Form>
      {product ? <Images product={product} /> : null}
    </>
  );
}

function Images({ product }: { product: Product }) {
  const [upload, state] = useUploadProductImageMutation();
  const [file, setFile] = useState<File | null>(null);
  const [alt, setAlt] = useState("");
  return (
    <section aria-labelledby="images-title">
      <h2 id="images-title">Pictures</h2>
      <ul className="gallery-thumbs">
        {product.images.map((img) => (
          <li key={img.id || img.url}>
            <ProductImage image={img} sizes="120px" />
          </li>
        ))}
      </ul>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (file) void upload({ id: product.id, file, alt }).unwrap().then(() => { setFile(null); setAlt(""); }, () => undefined);
        }}
        aria-label="Upload a picture"
      >
        {state.error ? <Alert type="error" role="alert" title={toApiError(state.error).details[0]?.reason ?? toApiError(state.error).message} /> : null}
        <p>
          <label htmlFor="image-file">Picture (JPEG, PNG or WebP, up to 10 MiB) </label>
          <input id="image-file" type="file" accept="image/jpeg,image/png,image/webp" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </p>
        <p>
          <label htmlFor="image-alt">Description for screen readers </label>
          <Input id="image-alt" value={alt} onChange={(e) => setAlt(e.target.value)} />
        </p>
        <Button htmlType="submit" disabled={!file} loading={state.isLoading}>Upload</Button>
      </form>
    </section>
  );
}
