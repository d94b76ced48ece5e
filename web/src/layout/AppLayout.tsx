import { useEffect, useRef, useState } from "react";
import { Link, Outlet, useLocation, useNavigate, useSearchParams } from "react-router-dom";
import { useGetCartQuery } from "../api/cart";
import { useSignOutMutation } from "../api/session";
import { useAppSelector } from "../app/store";

/** AppLayout is every page's frame: skip link, header with search and cart, main, footer. */
export function AppLayout() {
  const session = useAppSelector((s) => s.session);
  const location = useLocation();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);

  // Focus management: after a client-side navigation, move focus to the new page's content,
  // as a full page load would, so keyboard and screen-reader users start at the top of it.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
  }, [location.pathname]);

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <Link to="/" className="brand" aria-label="Storefront home">
          Storefront
        </Link>
        <SearchBox />
        <nav aria-label="Main" className="main-nav">
          <Link to="/products">Catalog</Link>
          <Link to="/blog">Blog</Link>
          {session.status === "signed-in" ? <Link to="/support">Support</Link> : null}
          {session.user?.role === "admin" ? <Link to="/admin/orders">Admin</Link> : null}
          <CartLink signedIn={session.status === "signed-in"} />
          {session.status === "signed-in" ? <AccountMenu name={session.user?.name ?? ""} /> : <Link to="/signin">Sign in</Link>}
        </nav>
      </header>
      <main id="main" ref={main} tabIndex={-1} className="app-main">
        <Outlet />
      </main>
      <footer className="app-footer">
        <span>Storefront — electronics for programmers.</span> <Link to="/blog">Blog</Link>
      </footer>
    </div>
  );
}

function SearchBox() {
  const navigate = useNavigate();
  const [params] = useSearchParams();
  return (
    <form
      role="search"
      className="search-box"
      onSubmit={(e) => {
        e.preventDefault();
        const q = new FormData(e.currentTarget).get("q")?.toString().trim() ?? "";
        navigate(q ? `/products?q=${encodeURIComponent(q)}` : "/products");
      }}
    >
      <input className="search-input" type="search" name="q" aria-label="Search products" placeholder="Search products" defaultValue={params.get("q") ?? ""} key={params.get("q") ?? ""} />
    </form>
  );
}

function CartLink({ signedIn }: { signedIn: boolean }) {
  const { data } = useGetCartQuery(undefined, { skip: !signedIn });
  const count = data?.item_count ?? 0;
  return (
    <Link to="/cart" aria-label={`Cart, ${count} ${count === 1 ? "item" : "items"}`}>
      <span className="cart-link">Cart</span>
      {count > 0 ? (
        <span className="cart-count" aria-hidden="true">
          {count}
        </span>
      ) : null}
    </Link>
  );
}

/**
 * AccountMenu is a disclosure menu (a button that shows a list of links), kept out of antd so the
 * frame every page loads stays small. Escape or a click elsewhere closes it.
 */
function AccountMenu({ name }: { name: string }) {
  const navigate = useNavigate();
  const location = useLocation();
  const [signOut] = useSignOutMutation();
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  useEffect(() => setOpen(false), [location.pathname]);
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        setOpen(false);
        button.current?.focus();
      }
    };
    const onClick = (e: MouseEvent) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("keydown", onKey);
    document.addEventListener("mousedown", onClick);
    return () => {
      document.removeEventListener("keydown", onKey);
      document.removeEventListener("mousedown", onClick);
    };
  }, [open]);
  return (
    <div className="account-menu" ref={root}>
      <button ref={button} type="button" className="link-button" aria-expanded={open} aria-controls="account-menu-list" onClick={() => setOpen((o) => !o)}>
        {name || "Account"} ▾
      </button>
      <ul id="account-menu-list" className="account-menu-list" hidden={!open}>
        <li><Link to="/orders">Orders</Link></li>
        <li><Link to="/wishlist">Wishlist</Link></li>
        <li><Link to="/account">Account</Link></li>
        <li>
          <button
            type="button"
            className="link-button"
            onClick={async () => {
              await signOut().unwrap().catch(() => undefined);
              navigate("/");
            }}
          >
            Sign out
          </button>
        </li>
      </ul>
    </div>
  );
}
