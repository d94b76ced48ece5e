import { Alert, Button, Input, Space, Tag } from "antd";
import { useState } from "react";
import { useParams } from "react-router-dom";
import { toApiError } from "../api/errors";
import { useCloseConversationMutation, useGetConversationQuery, usePostMessageMutation } from "../api/support";
import { RequestState } from "../components/RequestState";
import { RequireUser } from "../components/RequireSession";
import { useConversationStream } from "../components/useConversationStream";
import { useTitle } from "../components/useTitle";

export default function SupportConversation() {
  useTitle("Support conversation");
  return (
    <RequireUser>
      <ConversationView />
    </RequireUser>
  );
}

function ConversationView() {
  const { id = "" } = useParams();
  const conversation = useGetConversationQuery(id);
  const c = conversation.data;
  const live = useConversationStream(id, c?.status === "open");
  const [post, postState] = usePostMessageMutation();
  const [close] = useCloseConversationMutation();
  const [text, setText] = useState("");
  const send = async () => {
    const t = text.trim();
    if (!t) return;
    await post({ id, text: t })
      .unwrap()
      .then(() => setText(""))
      .catch(() => undefined);
  };
  return (
    <RequestState label="conversation" isLoading={conversation.isLoading} error={conversation.error} retry={conversation.refetch}>
      {c ? (
        <section aria-labelledby="conversation-title" className="conversation">
          <h1 id="conversation-title">
            {c.subject} <Tag>{c.status}</Tag>
          </h1>
          {c.status === "open" ? <p className="hint">{live === "live" ? "Live: new messages appear here." : "Connecting…"}</p> : null}
          <ol className="messages" aria-label="Messages" aria-live="polite">
            {c.messages.map((m) => (
              <li key={m.id} className={`message message-${m.author_role}`}>
                <p className="message-author">
                  {m.author_name} {m.author_role === "staff" ? <Tag color="blue">Staff</Tag> : null}
                  <span className="hint"> {new Date(m.created_at).toLocaleTimeString("en-US")}</span>
                </p>
                <p className="message-text">{m.text}</p>
              </li>
            ))}
          </ol>
          {postState.error ? <Alert type="error" role="alert" title={toApiError(postState.error).message} /> : null}
          {c.status === "open" ? (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                void send();
              }}
              aria-label="Reply"
            >
              <label htmlFor="reply" className="visually-hidden">Your message</label>
              <Input.TextArea id="reply" rows={2} maxLength={4000} value={text} onChange={(e) => setText(e.target.value)} />
              <Space className="reply-actions">
                <Button type="primary" htmlType="submit" loading={postState.isLoading} disabled={!text.trim()}>Send</Button>
                <Button onClick={() => void close(id)}>Close conversation</Button>
              </Space>
            </form>
          ) : (
            <p>This conversation is closed.</p>
          )}
        </section>
      ) : null}
    </RequestState>
  );
}
