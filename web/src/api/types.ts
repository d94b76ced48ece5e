// Types of the REST contract, from the generated OpenAPI schema (schema.d.ts, `make generate`).
// The protos make every field optional, but API.md promises that every response field is
// present (also when empty), so responses are read through Present<>.
import type { components } from "./schema";

type Schemas = components["schemas"];

/** Present makes every field of a response required, recursively (API.md: all fields present). */
export type Present<T> = T extends (infer U)[]
  ? Present<U>[]
  : T extends object
    ? { -readonly [K in keyof T]-?: Present<NonNullable<T[K]>> }
    : T;

export type Money = Present<Schemas["v1Money"]>;
export type User = Present<Schemas["v1User"]>;
export type Address = Present<Schemas["storefrontIdentityV1Address"]>;
export type NewAddress = Omit<Address, "id">;
export type Product = Present<Schemas["v1Product"]>;
export type ProductImage = Present<Schemas["v1Image"]>;
export type Category = Present<Schemas["v1Category"]>;
export type Cart = Present<Schemas["v1Cart"]>;
export type CartItem = Present<Schemas["v1CartItem"]>;
export type WishlistItem = Present<Schemas["v1WishlistItem"]>;
export type Order = Present<Schemas["v1Order"]>;
export type Review = Present<Schemas["v1Review"]>;
export type BlogPost = Present<Schemas["v1BlogPost"]>;
export type Conversation = Present<Schemas["v1Conversation"]>;
export type Message = Present<Schemas["v1Message"]>;
export type Discount = Present<Schemas["v1Discount"]>;
export type Analytics = Present<Schemas["v1Analytics"]>;
export type Projection = Present<Schemas["v1Projection"]>;

export type PlaceOrderRequest = Schemas["v1PlaceOrderRequest"];
export type CreateProductRequest = Schemas["v1CreateProductRequest"];
export type CreateDiscountRequest = Schemas["v1CreateDiscountRequest"];

/** Page is a paginated list as API.md's "Lists" convention returns it. */
export interface Page<T> {
  items: T[];
  page: number;
  per_page: number;
  total: number;
}

/** Items is an unpaginated list (categories, addresses, wishlist). */
export interface Items<T> {
  items: T[];
  total: number;
}

export interface Session {
  user: User;
  csrf_token: string;
}

/** FieldViolation is one item of an error's details (API.md "Errors"). */
export interface FieldViolation {
  field: string;
  reason: string;
}

/** ApiError is the body of every non-2xx response, flattened with its HTTP status. */
export interface ApiError {
  status: number;
  code: string;
  message: string;
  details: FieldViolation[];
}
