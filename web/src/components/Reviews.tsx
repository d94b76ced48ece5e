import { zodResolver } from "@hookform/resolvers/zod";
import { Alert, Button, Form, Input, List, Pagination, Rate, Tag } from "antd";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { z } from "zod";
import { useCreateReviewMutation, useListReviewsQuery } from "../api/catalog";
import { useAppSelector } from "../app/store";
import { applyApiErrors, Field } from "./form";
import { RequestState } from "./RequestState";

/** Reviews lists a product's reviews, newest first, and lets a signed-in user write one. */
export function Reviews({ productId }: { productId: string }) {
  const [page, setPage] = useState(1);
  const reviews = useListReviewsQuery({ productId, page });
  const signedIn = useAppSelector((s) => s.session.status === "signed-in");
  return (
    <section className="reviews" aria-labelledby="reviews-title">
      <h2 id="reviews-title">Reviews</h2>
      <RequestState label="reviews" isLoading={reviews.isLoading} error={reviews.error} retry={reviews.refetch} isEmpty={reviews.data?.items.length === 0} empty="No reviews yet.">
        <List
          itemLayout="vertical"
          dataSource={reviews.data?.items ?? []}
          renderItem={(r) => (
            <List.Item key={r.id}>
              <article aria-label={`Review by ${r.author_name}`}>
                <h3 className="review-title">{r.title}</h3>
                <Rate disabled value={r.rating} aria-label={`${r.rating} of 5 stars`} />
                <p className="review-author">
                  {r.author_name} · {new Date(r.created_at).toLocaleDateString("en-US")}
                  {r.verified_purchase ? <Tag color="green">Verified purchase</Tag> : null}
                </p>
                <p>{r.text}</p>
              </article>
            </List.Item>
          )}
        />
        <Pagination current={page} pageSize={10} total={reviews.data?.total ?? 0} onChange={setPage} hideOnSinglePage />
      </RequestState>
      {signedIn ? <ReviewForm productId={productId} /> : null}
    </section>
  );
}

const reviewSchema = z.object({
  rating: z.number().int().min(1, "Choose 1 to 5 stars.").max(5),
  title: z.string().trim().min(1, "Give your review a title.").max(200),
  text: z.string().trim().min(1, "Tell others what you think.").max(4000),
});
type ReviewValues = z.infer<typeof reviewSchema>;

function ReviewForm({ productId }: { productId: string }) {
  const [create, state] = useCreateReviewMutation();
  const [formError, setFormError] = useState("");
  const { control, handleSubmit, setError, reset, formState } = useForm<ReviewValues>({
    resolver: zodResolver(reviewSchema),
    defaultValues: { rating: 0, title: "", text: "" },
  });
  const onSubmit = handleSubmit(async (v) => {
    setFormError("");
    try {
      await create({ product_id: productId, ...v }).unwrap();
      reset();
    } catch (e) {
      setFormError(applyApiErrors(e as never, setError, ["rating", "title", "text"]));
    }
  });
  return (
    <Form layout="vertical" component="div" className="review-form">
      <form onSubmit={onSubmit} aria-labelledby="write-review" noValidate>
        <h3 id="write-review">Write a review</h3>
        {state.isSuccess ? <Alert type="success" role="status" title="Thanks: your review is published." /> : null}
        {formError ? <Alert type="error" role="alert" title={formError} /> : null}
        <Field control={control} name="rating" label="Rating">
          <Rate />
        </Field>
        <Field control={control} name="title" label="Title" />
        <Field control={control} name="text" label="Review">
          <Input.TextArea rows={4} />
        </Field>
        <Button type="primary" htmlType="submit" loading={formState.isSubmitting}>
          Publish review
        </Button>
      </form>
    </Form>
  );
}
