import type { ProductImage as Image } from "../api/types";

interface Props {
  image: Image | undefined;
  /** The rendered width, for the browser's choice among the WebP variants. */
  sizes: string;
  eager?: boolean;
  className?: string;
}

/**
 * ProductImage shows a product picture from its WebP renditions (320, 640, 1280 px wide) with
 * srcset, lazy-loaded unless it is the page's main picture.
 */
export function ProductImage({ image, sizes, eager, className }: Props) {
  if (!image || !image.url) {
    return <div className={`product-image placeholder ${className ?? ""}`} role="img" aria-label="No picture" />;
  }
  const variants = [...image.variants].sort((a, b) => a.width - b.width);
  const srcSet = variants.map((v) => `${v.url} ${v.width}w`).join(", ");
  const fallback = variants.find((v) => v.width >= 640)?.url ?? variants.at(-1)?.url ?? image.url;
  return (
    <img
      className={`product-image ${className ?? ""}`}
      src={fallback}
      srcSet={srcSet || undefined}
      sizes={srcSet ? sizes : undefined}
      alt={image.alt}
      width={image.width || undefined}
      height={image.height || undefined}
      loading={eager ? "eager" : "lazy"}
      fetchPriority={eager ? "high" : undefined}
      decoding="async"
    />
  );
}
