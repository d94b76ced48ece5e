import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { Provider } from "react-redux";
import { createBrowserRouter, RouterProvider } from "react-router-dom";
import { SessionGate } from "./app/SessionGate";
import { makeStore } from "./app/store";
import { routes } from "./routes";
import "./styles.css";

const store = makeStore();
const router = createBrowserRouter(routes);

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <Provider store={store}>
      {/* antd's default theme, without its ConfigProvider: that would pull antd's form code into
          the chunk every page loads (the home page's JavaScript budget is 250 KiB gzipped). */}
      <SessionGate />
      <RouterProvider router={router} />
    </Provider>
  </StrictMode>,
);
