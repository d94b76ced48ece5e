import { Button, List } from "antd";
import { Link } from "react-router-dom";
import { useAddToCartMutation, useGetWishlistQuery, useRemoveFromWishlistMutation } from "../api/cart";
import { Money } from "../components/Money";
import { RequestState } from "../components/RequestState";
import { RequireUser } from "../components/RequireSession";
import { useTitle } from "../components/useTitle";

export default function Wishlist() {
  useTitle("Wishlist");
  return (
    <RequireUser>
      <WishlistView />
    </RequireUser>
  );
}

function WishlistView() {
  const wishlist = useGetWishlistQuery();
  const [remove] = useRemoveFromWishlistMutation();
  const [addToCart] = useAddToCartMutation();
  return (
    <>
      <h1>Wishlist</h1>
      <RequestState label="wishlist" isLoading={wishlist.isLoading} error={wishlist.error} retry={wishlist.refetch} isEmpty={wishlist.data?.items.length === 0} empty="Nothing saved yet.">
        <List
          dataSource={wishlist.data?.items ?? []}
          renderItem={(w) => (
            <List.Item
              key={w.id}
              actions={[
                <Button key="cart" onClick={() => void addToCart({ product_id: w.product_id, quantity: 1 })} aria-label={`Add ${w.name} to the cart`}>Add to cart</Button>,
                <Button key="remove" type="link" onClick={() => void remove(w.id)} aria-label={`Remove ${w.name} from the wishlist`}>Remove</Button>,
              ]}
            >
              <Link to={`/products/${w.product_id}`}>{w.name}</Link> <Money value={w.price} />
            </List.Item>
          )}
        />
      </RequestState>
    </>
  );
}
