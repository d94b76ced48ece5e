import { List, Pagination, Tag } from "antd";
import { Link, useSearchParams } from "react-router-dom";
import { useListPostsQuery } from "../api/content";
import { RequestState } from "../components/RequestState";
import { useTitle } from "../components/useTitle";

export default function Blog() {
  useTitle("Blog");
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number(params.get("page") ?? "1") || 1);
  const tag = params.get("tag") ?? undefined;
  const posts = useListPostsQuery({ page, tag });
  return (
    <>
      <h1>Blog{tag ? `: ${tag}` : ""}</h1>
      <RequestState label="posts" isLoading={posts.isLoading} error={posts.error} retry={posts.refetch} isEmpty={posts.data?.items.length === 0} empty="No posts yet.">
        <List
          itemLayout="vertical"
          dataSource={posts.data?.items ?? []}
          renderItem={(p) => (
            <List.Item key={p.id}>
              <article>
                <h2><Link to={`/blog/${p.slug}`}>{p.title}</Link></h2>
                <p className="hint">{p.author_name} · {new Date(p.published_at).toLocaleDateString("en-US")}</p>
                <p>{p.excerpt}</p>
                {p.tags.map((t) => <Link key={t} to={`/blog?tag=${encodeURIComponent(t)}`}><Tag>{t}</Tag></Link>)}
              </article>
            </List.Item>
          )}
        />
        <Pagination current={page} pageSize={10} total={posts.data?.total ?? 0} onChange={(p) => setParams({ ...(tag ? { tag } : {}), page: String(p) })} hideOnSinglePage />
      </RequestState>
    </>
  );
}
