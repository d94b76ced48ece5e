import { zodResolver } from "@hookform/resolvers/zod";
import { Alert, Button, Form, Input } from "antd";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { Link, useNavigate, useSearchParams } from "react-router-dom";
import { z } from "zod";
import { useSignInMutation } from "../api/session";
import { applyApiErrors, Field } from "../components/form";
import { useTitle } from "../components/useTitle";

const schema = z.object({
  email: z.email("Enter your email address."),
  password: z.string().min(1, "Enter your password."),
});
type Values = z.infer<typeof schema>;

/** safeNext keeps the after-sign-in destination on this site. */
export function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

export default function SignIn() {
  useTitle("Sign in");
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [signIn] = useSignInMutation();
  const [formError, setFormError] = useState("");
  const { control, handleSubmit, setError, formState } = useForm<Values>({ resolver: zodResolver(schema), defaultValues: { email: "", password: "" } });
  const onSubmit = handleSubmit(async (v) => {
    setFormError("");
    try {
      await signIn(v).unwrap();
      navigate(safeNext(params.get("next")), { replace: true });
    } catch (e) {
      setFormError(applyApiErrors(e as never, setError, ["email", "password"]));
    }
  });
  return (
    <div className="narrow">
      <h1>Sign in</h1>
      <Form layout="vertical" component="div">
        <form onSubmit={onSubmit} noValidate aria-label="Sign in">
          {formError ? <Alert type="error" role="alert" showIcon title={formError} className="form-error" /> : null}
          <Field control={control} name="email" label="Email">
            <Input type="email" autoComplete="email" />
          </Field>
          <Field control={control} name="password" label="Password">
            <Input.Password autoComplete="current-password" />
          </Field>
          <Button type="primary" htmlType="submit" block loading={formState.isSubmitting}>
            Sign in
          </Button>
        </form>
      </Form>
      <p>
        <Link to="/forgot-password">Forgot your password?</Link> · New here? <Link to={`/register${params.get("next") ? `?next=${encodeURIComponent(params.get("next")!)}` : ""}`}>Create an account</Link>
      </p>
    </div>
  );
}
