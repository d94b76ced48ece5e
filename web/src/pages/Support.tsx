import { zodResolver } from "@hookform/resolvers/zod";
import { Alert, Button, Form, Input, List, Tag } from "antd";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { Link, useNavigate } from "react-router-dom";
import { z } from "zod";
import { useListConversationsQuery, useStartConversationMutation } from "../api/support";
import { applyApiErrors, Field } from "../components/form";
import { RequestState } from "../components/RequestState";
import { RequireUser } from "../components/RequireSession";
import { useTitle } from "../components/useTitle";

export default function Support() {
  useTitle("Support");
  return (
    <RequireUser>
      <h1>Support</h1>
      <StartConversation />
      <Conversations />
    </RequireUser>
  );
}

/** Conversations lists the caller's conversations (an admin's: everyone's), newest activity first. */
export function Conversations() {
  const list = useListConversationsQuery({}, { pollingInterval: 10000, refetchOnMountOrArgChange: true });
  return (
    <section aria-labelledby="conversations-title">
      <h2 id="conversations-title">Conversations</h2>
      <RequestState label="conversations" isLoading={list.isLoading} error={list.error} retry={list.refetch} isEmpty={list.data?.items.length === 0} empty="No conversations yet.">
        <List
          dataSource={list.data?.items ?? []}
          renderItem={(c) => (
            <List.Item key={c.id}>
              <Link to={`/support/${c.id}`}>{c.subject}</Link> <Tag>{c.status}</Tag>
              <span className="hint">{new Date(c.updated_at).toLocaleString("en-US")}</span>
            </List.Item>
          )}
        />
      </RequestState>
    </section>
  );
}

const schema = z.object({
  subject: z.string().trim().min(1, "Give a subject.").max(200),
  message: z.string().trim().min(1, "Write your question.").max(4000),
});

function StartConversation() {
  const navigate = useNavigate();
  const [start] = useStartConversationMutation();
  const [formError, setFormError] = useState("");
  const { control, handleSubmit, setError, formState } = useForm<z.infer<typeof schema>>({ resolver: zodResolver(schema), defaultValues: { subject: "", message: "" } });
  const onSubmit = handleSubmit(async (v) => {
    setFormError("");
    try {
      const c = await start(v).unwrap();
      navigate(`/support/${c.id}`);
    } catch (e) {
      setFormError(applyApiErrors(e as never, setError, ["subject", "message"]));
    }
  });
  return (
    <Form layout="vertical" component="div" className="narrow-form">
      <form onSubmit={onSubmit} noValidate aria-labelledby="start-title">
        <h2 id="start-title">Ask us anything</h2>
        {formError ? <Alert type="error" role="alert" title={formError} /> : null}
        <Field control={control} name="subject" label="Subject" />
        <Field control={control} name="message" label="Message">
          <Input.TextArea rows={3} />
        </Field>
        <Button type="primary" htmlType="submit" loading={formState.isSubmitting}>Start the conversation</Button>
      </form>
    </Form>
  );
}
