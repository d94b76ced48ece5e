import { zodResolver } from "@hookform/resolvers/zod";
import { Alert, Button, Form, Input } from "antd";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { Link, useNavigate, useSearchParams } from "react-router-dom";
import { z } from "zod";
import { useRegisterMutation, useSignInMutation } from "../api/session";
import { applyApiErrors, Field } from "../components/form";
import { useTitle } from "../components/useTitle";
import { safeNext } from "./SignIn";

// The API's password policy stays authoritative; this only catches the obvious early.
export const registerSchema = z.object({
  name: z.string().trim().min(1, "Enter your name.").max(100),
  email: z.email("Enter a valid email address."),
  password: z
    .string()
    .min(8, "Use at least 8 characters.")
    .max(72, "Use at most 72 characters.")
    .regex(/\p{L}/u, "Use at least one letter.")
    .regex(/\p{N}/u, "Use at least one digit."),
});
type Values = z.infer<typeof registerSchema>;

export default function Register() {
  useTitle("Create an account");
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [register] = useRegisterMutation();
  const [signIn] = useSignInMutation();
  const [formError, setFormError] = useState("");
  const { control, handleSubmit, setError, formState } = useForm<Values>({ resolver: zodResolver(registerSchema), defaultValues: { name: "", email: "", password: "" } });
  const onSubmit = handleSubmit(async (v) => {
    setFormError("");
    try {
      await register(v).unwrap();
      await signIn({ email: v.email, password: v.password }).unwrap();
      navigate(safeNext(params.get("next")), { replace: true });
    } catch (e) {
      setFormError(applyApiErrors(e as never, setError, ["name", "email", "password"]));
    }
  });
  return (
    <div className="narrow">
      <h1>Create an account</h1>
      <Form layout="vertical" component="div">
        <form onSubmit={onSubmit} noValidate aria-label="Create an account">
          {formError ? <Alert type="error" role="alert" showIcon title={formError} className="form-error" /> : null}
          <Field control={control} name="name" label="Name">
            <Input autoComplete="name" />
          </Field>
          <Field control={control} name="email" label="Email">
            <Input type="email" autoComplete="email" />
          </Field>
          <Field control={control} name="password" label="Password" extra="At least 8 characters with a letter and a digit; not your email address.">
            <Input.Password autoComplete="new-password" />
          </Field>
          <Button type="primary" htmlType="submit" block loading={formState.isSubmitting}>
            Create account
          </Button>
        </form>
      </Form>
      <p>
        Already have an account? <Link to="/signin">Sign in</Link>
      </p>
    </div>
  );
}
