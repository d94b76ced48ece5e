import { Tag } from "antd";
import { Link, useParams } from "react-router-dom";
import { useGetPostQuery } from "../api/content";
import { RequestState } from "../components/RequestState";
import { useTitle } from "../components/useTitle";

export default function BlogPostPage() {
  const { slug = "" } = useParams();
  const post = useGetPostQuery(slug);
  useTitle(post.data?.seo.title || post.data?.title);
  const p = post.data;
  return (
    <RequestState label="post" isLoading={post.isLoading} error={post.error} retry={post.refetch}>
      {p ? (
        <article className="blog-post">
          <h1>{p.title}</h1>
          <p className="hint">{p.author_name} · {new Date(p.published_at).toLocaleDateString("en-US")}</p>
          {/* body_html is rendered and sanitised by the content service (goldmark + bluemonday). */}
          <div className="blog-body" dangerouslySetInnerHTML={{ __html: p.body_html }} />
          {p.tags.map((t) => <Link key={t} to={`/blog?tag=${encodeURIComponent(t)}`}><Tag>{t}</Tag></Link>)}
        </article>
      ) : null}
    </RequestState>
  );
}
