// The signed-in user and the session's CSRF token. Both live in memory only: the session itself
// is the httpOnly cookie, and a reload asks GET /auth/session again.
import { createSlice, type PayloadAction } from "@reduxjs/toolkit";
import type { Session, User } from "../api/types";

export interface SessionState {
  status: "unknown" | "signed-in" | "anonymous";
  user: User | null;
  csrfToken: string | null;
}

const initialState: SessionState = { status: "unknown", user: null, csrfToken: null };

export const sessionSlice = createSlice({
  name: "session",
  initialState,
  reducers: {
    started(state, action: PayloadAction<Session>) {
      state.status = "signed-in";
      state.user = action.payload.user;
      state.csrfToken = action.payload.csrf_token;
    },
    userChanged(state, action: PayloadAction<User>) {
      state.user = action.payload;
    },
    ended(state) {
      state.status = "anonymous";
      state.user = null;
      state.csrfToken = null;
    },
    // A 401 from any call: the session died (expired, revoked, signed out elsewhere).
    expired(state) {
      state.status = "anonymous";
      state.user = null;
      state.csrfToken = null;
    },
  },
});

export const { started, userChanged, ended } = sessionSlice.actions;
