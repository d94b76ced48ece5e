// The app's routes. Every page is its own chunk, loaded when its route is first visited.
import type { ComponentType } from "react";
import type { RouteObject } from "react-router-dom";
import { AppLayout } from "./layout/AppLayout";
import { RouteError } from "./pages/RouteError";

type PageModule = { default: ComponentType };
const page = (load: () => Promise<PageModule>) => async () => ({ Component: (await load()).default });

export const routes: RouteObject[] = [
  {
    element: <AppLayout />,
    errorElement: <RouteError />,
    children: [
      { index: true, lazy: page(() => import("./pages/Home")) },
      { path: "products", lazy: page(() => import("./pages/Catalog")) },
      { path: "products/:slug", lazy: page(() => import("./pages/ProductPage")) },
      { path: "cart", lazy: page(() => import("./pages/CartPage")) },
      { path: "checkout", lazy: page(() => import("./pages/Checkout")) },
      { path: "orders", lazy: page(() => import("./pages/Orders")) },
      { path: "orders/:id", lazy: page(() => import("./pages/OrderDetail")) },
      { path: "wishlist", lazy: page(() => import("./pages/Wishlist")) },
      { path: "account", lazy: page(() => import("./pages/Account")) },
      { path: "signin", lazy: page(() => import("./pages/SignIn")) },
      { path: "register", lazy: page(() => import("./pages/Register")) },
      { path: "forgot-password", lazy: page(() => import("./pages/ForgotPassword")) },
      { path: "reset-password", lazy: page(() => import("./pages/ResetPassword")) },
      { path: "blog", lazy: page(() => import("./pages/Blog")) },
      { path: "blog/:slug", lazy: page(() => import("./pages/BlogPostPage")) },
      { path: "support", lazy: page(() => import("./pages/Support")) },
      { path: "support/:id", lazy: page(() => import("./pages/SupportConversation")) },
      {
        path: "admin",
        lazy: page(() => import("./pages/admin/AdminLayout")),
        children: [
          { path: "products", lazy: page(() => import("./pages/admin/AdminProducts")) },
          { path: "products/new", lazy: page(() => import("./pages/admin/AdminProductEdit")) },
          { path: "products/:id", lazy: page(() => import("./pages/admin/AdminProductEdit")) },
          { path: "orders", lazy: page(() => import("./pages/admin/AdminOrders")) },
          { path: "discounts", lazy: page(() => import("./pages/admin/AdminDiscounts")) },
          { path: "analytics", lazy: page(() => import("./pages/admin/AdminAnalytics")) },
          { path: "projections", lazy: page(() => import("./pages/admin/AdminProjections")) },
          { path: "support", lazy: page(() => import("./pages/admin/AdminSupport")) },
        ],
      },
      { path: "*", lazy: page(() => import("./pages/NotFound")) },
    ],
  },
];
