import type { FetchBaseQueryError } from "@reduxjs/toolkit/query";
import type { SerializedError } from "@reduxjs/toolkit";
import type { ApiError, FieldViolation } from "./types";

/**
 * toApiError turns what RTK Query reports for a failed request into the API's error shape
 * (API.md "Errors"), so pages show the server's message and put its details at the fields.
 */
export function toApiError(error: FetchBaseQueryError | SerializedError | undefined): ApiError {
  if (!error) return { status: 0, code: "unknown", message: "Something went wrong.", details: [] };
  if ("status" in error) {
    if (typeof error.status === "number") {
      const body = (error.data as { error?: Partial<ApiError> } | undefined)?.error;
      return {
        status: error.status,
        code: body?.code ?? "unknown",
        message: body?.message ?? `The store answered ${error.status}.`,
        details: (body?.details ?? []).filter(isViolation),
      };
    }
    if (error.status === "FETCH_ERROR") {
      return { status: 0, code: "network", message: "The store cannot be reached. Check your connection and try again.", details: [] };
    }
    return { status: 0, code: "unknown", message: "The store sent an answer this page cannot read.", details: [] };
  }
  return { status: 0, code: "unknown", message: error.message ?? "Something went wrong.", details: [] };
}

function isViolation(d: unknown): d is FieldViolation {
  return typeof d === "object" && d !== null && typeof (d as FieldViolation).field === "string";
}

/** fieldErrors indexes an error's details by field name (the first reason per field). */
export function fieldErrors(error: ApiError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of error.details) out[d.field] ??= d.reason;
  return out;
}
