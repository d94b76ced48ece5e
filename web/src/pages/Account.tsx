import { zodResolver } from "@hookform/resolvers/zod";
import { Alert, Button, Form, List } from "antd";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { Link } from "react-router-dom";
import { z } from "zod";
import { useAddAddressMutation, useDeleteAddressMutation, useGetMeQuery, useListAddressesQuery, useUpdateMeMutation } from "../api/account";
import { addressFields } from "../components/address";
import { applyApiErrors, Field } from "../components/form";
import { RequestState } from "../components/RequestState";
import { RequireUser } from "../components/RequireSession";
import { useTitle } from "../components/useTitle";

export default function Account() {
  useTitle("Your account");
  return (
    <RequireUser>
      <h1>Your account</h1>
      <Profile />
      <Addresses />
      <section aria-labelledby="password-title">
        <h2 id="password-title">Password</h2>
        <p>
          <Link to="/forgot-password">Send me a password reset link</Link>
        </p>
      </section>
    </RequireUser>
  );
}

const profileSchema = z.object({ name: z.string().trim().min(1, "Enter your name.").max(100) });

function Profile() {
  const me = useGetMeQuery();
  const [update, state] = useUpdateMeMutation();
  const [formError, setFormError] = useState("");
  const { control, handleSubmit, setError, formState } = useForm<z.infer<typeof profileSchema>>({ resolver: zodResolver(profileSchema), values: { name: me.data?.name ?? "" } });
  const onSubmit = handleSubmit(async (v) => {
    setFormError("");
    try {
      await update(v).unwrap();
    } catch (e) {
      setFormError(applyApiErrors(e as never, setError, ["name"]));
    }
  });
  return (
    <section aria-labelledby="profile-title">
      <h2 id="profile-title">Profile</h2>
      <RequestState label="profile" isLoading={me.isLoading} error={me.error} retry={me.refetch}>
        <p>Email: {me.data?.email}</p>
        <Form layout="vertical" component="div" className="narrow-form">
          <form onSubmit={onSubmit} noValidate aria-label="Profile">
            {formError ? <Alert type="error" role="alert" title={formError} /> : null}
            {state.isSuccess ? <Alert type="success" role="status" title="Saved." /> : null}
            <Field control={control} name="name" label="Name" />
            <Button htmlType="submit" loading={formState.isSubmitting}>Save</Button>
          </form>
        </Form>
      </RequestState>
    </section>
  );
}

const addressSchema = addressFields.extend({ country: addressFields.shape.country.transform((c) => c.toUpperCase()) });
type AddressValues = z.input<typeof addressSchema>;

function Addresses() {
  const addresses = useListAddressesQuery();
  const [add] = useAddAddressMutation();
  const [remove] = useDeleteAddressMutation();
  const [formError, setFormError] = useState("");
  const { control, handleSubmit, setError, reset, formState } = useForm<AddressValues, unknown, z.output<typeof addressSchema>>({
    resolver: zodResolver(addressSchema),
    defaultValues: { line1: "", line2: "", city: "", state: "", postal_code: "", country: "US" },
  });
  const onSubmit = handleSubmit(async (v) => {
    setFormError("");
    try {
      await add(v).unwrap();
      reset();
    } catch (e) {
      setFormError(applyApiErrors(e as never, setError, ["line1", "line2", "city", "state", "postal_code", "country"]));
    }
  });
  return (
    <section aria-labelledby="addresses-title">
      <h2 id="addresses-title">Addresses</h2>
      <RequestState label="addresses" isLoading={addresses.isLoading} error={addresses.error} retry={addresses.refetch} isEmpty={addresses.data?.items.length === 0} empty="No saved addresses.">
        <List
          dataSource={addresses.data?.items ?? []}
          renderItem={(a) => (
            <List.Item key={a.id} actions={[<Button key="delete" type="link" onClick={() => void remove(a.id)} aria-label={`Delete the address ${a.line1}`}>Delete</Button>]}>
              {a.line1} {a.line2}, {a.city} {a.state} {a.postal_code}, {a.country}
            </List.Item>
          )}
        />
      </RequestState>
      <Form layout="vertical" component="div" className="narrow-form">
        <form onSubmit={onSubmit} noValidate aria-labelledby="add-address-title">
          <h3 id="add-address-title">Add an address</h3>
          {formError ? <Alert type="error" role="alert" title={formError} /> : null}
          <Field control={control} name="line1" label="Street address" />
          <Field control={control} name="line2" label="Apartment, suite (optional)" />
          <Field control={control} name="city" label="City" />
          <Field control={control} name="state" label="State or region (optional)" />
          <Field control={control} name="postal_code" label="Postal code" />
          <Field control={control} name="country" label="Country code" />
          <Button htmlType="submit" loading={formState.isSubmitting}>Add address</Button>
        </form>
      </Form>
    </section>
  );
}
