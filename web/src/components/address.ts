import { z } from "zod";

/** addressFields are an Address's rules in the browser (the identity service stays authoritative). */
export const addressFields = z.object({
  line1: z.string().trim().min(1, "Enter the street address."),
  line2: z.string().trim(),
  city: z.string().trim().min(1, "Enter the city."),
  state: z.string().trim(),
  postal_code: z.string().trim().min(1, "Enter the postal code."),
  country: z.string().trim().regex(/^[A-Za-z]{2}$/, "Use the two-letter country code, like US or DE."),
});
