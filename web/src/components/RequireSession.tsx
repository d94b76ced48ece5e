import { Spin } from "antd";
import type { ReactNode } from "react";
import { Navigate, useLocation } from "react-router-dom";
import { useAppSelector } from "../app/store";

/** RequireUser shows its children to a signed-in user and sends anyone else to sign in. */
export function RequireUser({ children, role }: { children: ReactNode; role?: "admin" }) {
  const session = useAppSelector((s) => s.session);
  const location = useLocation();
  if (session.status === "unknown") {
    return (
      <div className="request-state" role="status">
        <Spin />
        <span className="visually-hidden">Checking your session…</span>
      </div>
    );
  }
  if (session.status === "anonymous") {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/signin?next=${next}`} replace />;
  }
  if (role === "admin" && session.user?.role !== "admin") {
    return (
      <div role="alert">
        <h1>Not for your account</h1>
        <p>This page is for the store's staff.</p>
      </div>
    );
  }
  return <>{children}</>;
}
