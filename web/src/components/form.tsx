// Form plumbing shared by every form: React Hook Form + Zod validate in the browser, and the
// API's own validation (which stays authoritative) lands at the same fields.
import { Form, Input } from "antd";
import type { ReactElement, ReactNode } from "react";
import { cloneElement, useId } from "react";
import { Controller, type Control, type FieldPath, type FieldValues, type UseFormSetError } from "react-hook-form";
import { toApiError } from "../api/errors";
import type { FetchBaseQueryError } from "@reduxjs/toolkit/query";
import type { SerializedError } from "@reduxjs/toolkit";

interface FieldProps<T extends FieldValues> {
  control: Control<T>;
  name: FieldPath<T>;
  label: ReactNode;
  /** The input; it gets value, onChange, onBlur, id and the ARIA attributes. Default: a text input. */
  children?: ReactElement<Record<string, unknown>>;
  extra?: ReactNode;
}

/** Field is one labelled form control bound to React Hook Form, with its error under it. */
export function Field<T extends FieldValues>({ control, name, label, children, extra }: FieldProps<T>) {
  const id = useId();
  return (
    <Controller
      control={control}
      name={name}
      render={({ field, fieldState }) => {
        const errorId = `${id}-error`;
        const input = children ?? <Input />;
        return (
          <Form.Item
            label={label}
            htmlFor={id}
            validateStatus={fieldState.error ? "error" : undefined}
            help={fieldState.error ? <span id={errorId}>{fieldState.error.message}</span> : undefined}
            extra={extra}
          >
            {cloneElement(input, {
              ...field,
              id,
              "aria-invalid": fieldState.error ? true : undefined,
              "aria-describedby": fieldState.error ? errorId : undefined,
            })}
          </Form.Item>
        );
      }}
    />
  );
}

/**
 * applyApiErrors puts an API error's field details on the form's fields (fields maps an API
 * field name to the form's, when they differ) and returns the message for the whole form.
 */
export function applyApiErrors<T extends FieldValues>(
  error: FetchBaseQueryError | SerializedError | undefined,
  setError: UseFormSetError<T>,
  known: readonly FieldPath<T>[],
  fields: Record<string, FieldPath<T>> = {},
): string {
  const e = toApiError(error);
  let placed = 0;
  for (const d of e.details) {
    const name = fields[d.field] ?? (known.includes(d.field as FieldPath<T>) ? (d.field as FieldPath<T>) : undefined);
    if (name) {
      setError(name, { type: "server", message: d.reason });
      placed++;
    }
  }
  if (placed > 0 && placed === e.details.length) return e.message || "Please correct the marked fields.";
  return e.message;
}
