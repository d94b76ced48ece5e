import { Alert, Button, Progress, Table, Tag } from "antd";
import { toApiError } from "../../api/errors";
import { useListProjectionsQuery, useRebuildProjectionMutation } from "../../api/operations";
import type { Projection } from "../../api/types";
import { RequestState } from "../../components/RequestState";
import { useTitle } from "../../components/useTitle";

/** rebuildPercent is how far a blue/green rebuild is, 0..100. */
export function rebuildPercent(p: Projection): number {
  const { position, total } = p.rebuild;
  if (!total) return 0;
  return Math.min(100, Math.floor((position / total) * 100));
}

export default function AdminProjections() {
  useTitle("Projections · Admin");
  // Polled every second: a rebuild's progress moves live.
  const list = useListProjectionsQuery(undefined, { pollingInterval: 1000 });
  const [rebuild, state] = useRebuildProjectionMutation();
  return (
    <>
      <h1>Projections</h1>
      {state.error ? <Alert type="error" role="alert" showIcon title={toApiError(state.error).message} /> : null}
      <RequestState label="projections" isLoading={list.isLoading} error={list.error} retry={list.refetch} isEmpty={list.data?.items.length === 0}>
        <Table<Projection>
          rowKey="name"
          pagination={false}
          scroll={{ x: true }}
          dataSource={list.data?.items}
          columns={[
            { title: "Projection", dataIndex: "name" },
            { title: "State", render: (_, p) => <Tag color={p.state === "live" ? "green" : p.state === "failed" ? "red" : "blue"}>{p.state}</Tag> },
            { title: "Position", dataIndex: "position" },
            { title: "Lag", render: (_, p) => `${p.lag} events (${p.lag_seconds.toFixed(1)} s)` },
            { title: "Dead letters", dataIndex: "dead_letters" },
            {
              title: "Rebuild",
              render: (_, p) =>
                p.state === "rebuilding" ? (
                  <div>
                    <Progress percent={rebuildPercent(p)} size="small" aria-label={`Rebuild of ${p.name}: ${rebuildPercent(p)} percent`} />
                    <span className="hint">
                      {Math.round(p.rebuild.rate)} events/s · about {Math.ceil(p.rebuild.eta_seconds)} s left
                    </span>
                  </div>
                ) : (
                  <Button onClick={() => void rebuild(p.name)} aria-label={`Rebuild ${p.name}`}>Rebuild</Button>
                ),
            },
          ]}
        />
      </RequestState>
    </>
  );
}
