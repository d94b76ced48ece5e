import { zodResolver } from "@hookform/resolvers/zod";
import { Alert, Button, Form, Input } from "antd";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { z } from "zod";
import { useRequestPasswordResetMutation } from "../api/session";
import { applyApiErrors, Field } from "../components/form";
import { useTitle } from "../components/useTitle";

const schema = z.object({ email: z.email("Enter your email address.") });
type Values = z.infer<typeof schema>;

export default function ForgotPassword() {
  useTitle("Reset your password");
  const [request, state] = useRequestPasswordResetMutation();
  const [formError, setFormError] = useState("");
  const { control, handleSubmit, setError, formState } = useForm<Values>({ resolver: zodResolver(schema), defaultValues: { email: "" } });
  const onSubmit = handleSubmit(async (v) => {
    setFormError("");
    try {
      await request(v).unwrap();
    } catch (e) {
      setFormError(applyApiErrors(e as never, setError, ["email"]));
    }
  });
  return (
    <div className="narrow">
      <h1>Reset your password</h1>
      {state.isSuccess ? (
        // The same answer whether or not the account exists (no account enumeration).
        <Alert type="success" role="status" showIcon title="If an account has this address, a mail with a reset link is on its way." />
      ) : (
        <Form layout="vertical" component="div">
          <form onSubmit={onSubmit} noValidate aria-label="Reset your password">
            {formError ? <Alert type="error" role="alert" showIcon title={formError} className="form-error" /> : null}
            <Field control={control} name="email" label="Email">
              <Input type="email" autoComplete="email" />
            </Field>
            <Button type="primary" htmlType="submit" block loading={formState.isSubmitting}>
              Send the reset link
            </Button>
          </form>
        </Form>
      )}
    </div>
  );
}
