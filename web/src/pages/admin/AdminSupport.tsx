import { useTitle } from "../../components/useTitle";
import { Conversations } from "../Support";

/** The support inbox: every customer's conversations; each opens the live conversation page. */
export default function AdminSupport() {
  useTitle("Support inbox · Admin");
  return (
    <>
      <h1>Support inbox</h1>
      <Conversations />
    </>
  );
}
