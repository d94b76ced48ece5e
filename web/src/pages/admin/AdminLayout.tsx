import { NavLink, Outlet } from "react-router-dom";
import { RequireUser } from "../../components/RequireSession";

const links = [
  ["/admin/orders", "Orders"],
  ["/admin/products", "Products"],
  ["/admin/discounts", "Discounts"],
  ["/admin/analytics", "Analytics"],
  ["/admin/projections", "Projections"],
  ["/admin/support", "Support inbox"],
] as const;

export default function AdminLayout() {
  return (
    <RequireUser role="admin">
      <div className="admin">
        <nav aria-label="Admin" className="admin-nav">
          <ul>
            {links.map(([to, label]) => (
              <li key={to}>
                <NavLink to={to}>{label}</NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="admin-content">
          <Outlet />
        </div>
      </div>
    </RequireUser>
  );
}
