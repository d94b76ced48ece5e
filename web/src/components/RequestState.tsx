import { Alert, Button, Empty, Spin } from "antd";
import type { ReactNode } from "react";
import type { FetchBaseQueryError } from "@reduxjs/toolkit/query";
import type { SerializedError } from "@reduxjs/toolkit";
import { toApiError } from "../api/errors";

interface Props {
  isLoading: boolean;
  error?: FetchBaseQueryError | SerializedError | undefined;
  isEmpty?: boolean;
  empty?: ReactNode;
  retry?: () => void;
  /** What is being loaded, for the screen reader's busy message. */
  label: string;
  children: ReactNode;
}

/** RequestState shows one request's loading, error and empty states, else its content. */
export function RequestState({ isLoading, error, isEmpty, empty, retry, label, children }: Props) {
  if (isLoading) {
    return (
      <div className="request-state" role="status" aria-live="polite">
        <Spin />
        <span className="visually-hidden">Loading {label}…</span>
      </div>
    );
  }
  if (error) {
    const e = toApiError(error);
    return (
      <Alert
        type="error"
        showIcon
        role="alert"
        title={e.status === 404 ? `No such ${label}.` : `Could not load ${label}.`}
        description={e.status === 404 ? undefined : e.message}
        action={retry ? <Button onClick={retry}>Try again</Button> : undefined}
      />
    );
  }
  if (isEmpty) return <Empty description={empty ?? `No ${label} yet.`} />;
  return <>{children}</>;
}
