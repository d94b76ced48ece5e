import { useEffect } from "react";

/** useTitle sets the document's title, which screen readers announce on navigation. */
export function useTitle(title: string | undefined) {
  useEffect(() => {
    if (title) document.title = `${title} · Storefront`;
  }, [title]);
}
