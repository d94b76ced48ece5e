import { useEffect, useState } from "react";
import { addMessage } from "../api/support";
import type { Message } from "../api/types";
import { useAppDispatch } from "../app/store";

/**
 * useConversationStream follows a conversation's Server-Sent Events: each new message lands in
 * the cached conversation once. EventSource reconnects by itself and sends Last-Event-ID, so
 * the server resumes without loss or duplicates.
 */
export function useConversationStream(id: string, enabled: boolean): "connecting" | "live" | "reconnecting" {
  const dispatch = useAppDispatch();
  const [state, setState] = useState<"connecting" | "live" | "reconnecting">("connecting");
  useEffect(() => {
    if (!enabled) return;
    const source = new EventSource(`/api/v1/support/conversations/${id}/stream`);
    source.onopen = () => setState("live");
    source.onerror = () => setState("reconnecting");
    source.addEventListener("message", (e) => {
      try {
        dispatch(addMessage(id, JSON.parse((e as MessageEvent<string>).data) as Message));
      } catch {
        // A malformed event is skipped; the next reload shows the conversation as stored.
      }
    });
    return () => source.close();
  }, [id, enabled, dispatch]);
  return state;
}
