import { ended, started } from "../app/session";
import { api } from "./api";
import type { Session, User } from "./types";

export interface Credentials {
  email: string;
  password: string;
}

const sessionApi = api.injectEndpoints({
  endpoints: (b) => ({
    // Restores the session of the cookie, if any, when the app starts.
    getSession: b.query<Session | null, void>({
      query: () => "/auth/session",
      transformErrorResponse: (e) => e,
      async onQueryStarted(_, { dispatch, queryFulfilled }) {
        try {
          const { data } = await queryFulfilled;
          if (data) dispatch(started(data));
        } catch {
          dispatch(ended());
        }
      },
    }),
    signIn: b.mutation<Session, Credentials>({
      query: (body) => ({ url: "/auth/session", method: "POST", body }),
      async onQueryStarted(_, { dispatch, queryFulfilled }) {
        try {
          const { data } = await queryFulfilled;
          // Everything cached belonged to nobody (or someone else).
          dispatch(api.util.resetApiState());
          dispatch(started(data));
        } catch {
          // The form shows the error; the session stays as it was.
        }
      },
    }),
    signOut: b.mutation<void, void>({
      query: () => ({ url: "/auth/session", method: "DELETE" }),
      async onQueryStarted(_, { dispatch, queryFulfilled }) {
        try {
          await queryFulfilled;
        } finally {
          dispatch(ended());
          dispatch(api.util.resetApiState());
        }
      },
    }),
    register: b.mutation<{ user: User }, Credentials & { name: string }>({
      query: (body) => ({ url: "/auth/register", method: "POST", body }),
    }),
    requestPasswordReset: b.mutation<void, { email: string }>({
      query: (body) => ({ url: "/auth/password-reset-request", method: "POST", body }),
    }),
    resetPassword: b.mutation<void, { token: string; new_password: string }>({
      query: (body) => ({ url: "/auth/password-reset", method: "POST", body }),
    }),
  }),
});

export const {
  useGetSessionQuery,
  useSignInMutation,
  useSignOutMutation,
  useRegisterMutation,
  useRequestPasswordResetMutation,
  useResetPasswordMutation,
} = sessionApi;
