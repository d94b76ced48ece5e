import { useGetSessionQuery } from "../api/session";

/** SessionGate restores the cookie's session once, when the app starts. */
export function SessionGate() {
  useGetSessionQuery();
  return null;
}
