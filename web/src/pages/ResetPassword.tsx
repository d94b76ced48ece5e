import { zodResolver } from "@hookform/resolvers/zod";
import { Alert, Button, Form, Input } from "antd";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { Link, useSearchParams } from "react-router-dom";
import { z } from "zod";
import { useResetPasswordMutation } from "../api/session";
import { applyApiErrors, Field } from "../components/form";
import { useTitle } from "../components/useTitle";
import { registerSchema } from "./Register";

const schema = z
  .object({ new_password: registerSchema.shape.password, confirm: z.string() })
  .refine((v) => v.new_password === v.confirm, { path: ["confirm"], message: "The passwords differ." });
type Values = z.infer<typeof schema>;

/** ResetPassword is the page the reset mail links to: /reset-password?token=… */
export default function ResetPassword() {
  useTitle("Choose a new password");
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const [reset, state] = useResetPasswordMutation();
  const [formError, setFormError] = useState("");
  const { control, handleSubmit, setError, formState } = useForm<Values>({ resolver: zodResolver(schema), defaultValues: { new_password: "", confirm: "" } });
  const onSubmit = handleSubmit(async (v) => {
    setFormError("");
    try {
      await reset({ token, new_password: v.new_password }).unwrap();
    } catch (e) {
      const message = applyApiErrors(e as never, setError, ["new_password"]);
      const bad = (e as { data?: { error?: { details?: { field: string }[] } } }).data?.error?.details?.some((d) => d.field === "token");
      setFormError(bad ? "This reset link is invalid, used or expired. Ask for a new one." : message);
    }
  });
  if (!token) {
    return (
      <div className="narrow">
        <h1>Choose a new password</h1>
        <Alert type="error" role="alert" showIcon title="This link has no reset token." description={<Link to="/forgot-password">Ask for a new link</Link>} />
      </div>
    );
  }
  return (
    <div className="narrow">
      <h1>Choose a new password</h1>
      {state.isSuccess ? (
        <Alert type="success" role="status" showIcon title="Your password is changed, and every session was signed out." description={<Link to="/signin">Sign in with the new password</Link>} />
      ) : (
        <Form layout="vertical" component="div">
          <form onSubmit={onSubmit} noValidate aria-label="Choose a new password">
            {formError ? <Alert type="error" role="alert" showIcon title={formError} className="form-error" /> : null}
            <Field control={control} name="new_password" label="New password">
              <Input.Password autoComplete="new-password" />
            </Field>
            <Field control={control} name="confirm" label="Repeat the new password">
              <Input.Password autoComplete="new-password" />
            </Field>
            <Button type="primary" htmlType="submit" block loading={formState.isSubmitting}>
              Change password
            </Button>
          </form>
        </Form>
      )}
    </div>
  );
}
