import { Button, Result } from "antd";
import { isRouteErrorResponse, Link, useRouteError } from "react-router-dom";

/** RouteError is shown when a page fails to load (its chunk, say, after a deploy). */
export function RouteError() {
  const error = useRouteError();
  const notFound = isRouteErrorResponse(error) && error.status === 404;
  return (
    <main id="main" className="app-main">
      <Result
        status={notFound ? "404" : "error"}
        title={<h1>{notFound ? "Page not found" : "This page could not load"}</h1>}
        subTitle={notFound ? "There is no page at this address." : "Reload the page to try again."}
        extra={
          <Button type="primary">
            <Link to="/">Go to the store</Link>
          </Button>
        }
      />
    </main>
  );
}
