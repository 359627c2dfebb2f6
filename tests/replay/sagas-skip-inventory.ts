/** A sagas module for `sagaflow replay --sagas`: the order saga with `skipInventory`. */
import { orderSaga } from './order-variants.ts';

export const OrderSaga = orderSaga({ skipInventory: true });
