import { Result } from "antd";
import { Link } from "react-router-dom";
import { useTitle } from "../components/useTitle";

export default function NotFound() {
  useTitle("Page not found");
  return <Result status="404" title={<h1>Page not found</h1>} subTitle="There is no page at this address." extra={<Link to="/">Go to the store</Link>} />;
}
