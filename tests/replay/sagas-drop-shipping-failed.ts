/** A sagas module for `sagaflow replay --sagas`: the order saga with `dropShippingFailed`. */
import { orderSaga } from './order-variants.ts';

export const OrderSaga = orderSaga({ dropShippingFailed: true });
