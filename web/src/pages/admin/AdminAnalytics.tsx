import { Statistic, Table } from "antd";
import { useGetAnalyticsQuery } from "../../api/orders";
import type { Analytics } from "../../api/types";
import { formatMoney, Money } from "../../components/Money";
import { statusLabel } from "../../components/OrderStatus";
import { RequestState } from "../../components/RequestState";
import { useTitle } from "../../components/useTitle";

export default function AdminAnalytics() {
  useTitle("Analytics · Admin");
  const analytics = useGetAnalyticsQuery({}, { pollingInterval: 10000 });
  const a = analytics.data;
  return (
    <>
      <h1>Analytics</h1>
      <p className="hint">The last 30 days.</p>
      <RequestState label="analytics" isLoading={analytics.isLoading} error={analytics.error} retry={analytics.refetch}>
        {a ? (
          <>
            <div className="stats">
              <Statistic title="Revenue" value={formatMoney(a.revenue)} />
              <Statistic title="Paid orders" value={a.orders_count} />
              <Statistic title="Average order" value={formatMoney(a.average_order_value)} />
            </div>
            <StatusChart analytics={a} />
            <h2>Top products</h2>
            <Table
              rowKey="product_id"
              pagination={false}
              dataSource={a.top_products}
              locale={{ emptyText: "No sales yet." }}
              columns={[
                { title: "Product", dataIndex: "name" },
                { title: "Units", dataIndex: "units" },
                { title: "Revenue", render: (_, p) => <Money value={p.revenue} /> },
              ]}
            />
          </>
        ) : null}
      </RequestState>
    </>
  );
}

/** StatusChart is a bar chart of orders by status: an SVG with a text alternative. */
function StatusChart({ analytics }: { analytics: Analytics }) {
  const rows = Object.entries(analytics.orders_by_status).sort(([a], [b]) => a.localeCompare(b));
  const max = Math.max(1, ...rows.map(([, n]) => n));
  const barHeight = 24;
  const summary = rows.map(([s, n]) => `${statusLabel(s)}: ${n}`).join(", ") || "no orders";
  return (
    <figure className="chart">
      <figcaption><h2>Orders by status</h2></figcaption>
      <svg role="img" aria-label={`Orders by status: ${summary}`} width="100%" height={rows.length * (barHeight + 8) + 8} viewBox={`0 0 400 ${rows.length * (barHeight + 8) + 8}`} preserveAspectRatio="xMinYMin meet">
        {rows.map(([status, n], i) => {
          const y = 8 + i * (barHeight + 8);
          const w = Math.max(2, (n / max) * 250);
          return (
            <g key={status}>
              <text x="0" y={y + barHeight * 0.7} fontSize="13">{statusLabel(status)}</text>
              <rect x="120" y={y} width={w} height={barHeight} fill="#1d4ed8" rx="3" />
              <text x={124 + w} y={y + barHeight * 0.7} fontSize="13">{n}</text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
