/** A sagas module for `sagaflow replay --sagas`: the order saga with `voidInsteadOfRefund`. */
import { orderSaga } from './order-variants.ts';

export const OrderSaga = orderSaga({ voidInsteadOfRefund: true });
