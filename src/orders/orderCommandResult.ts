import type { OrderStatus } from './orderEvents.ts';

/** What an order lifecycle command returns: the order's new status and its stream version (a consistency token). */
export interface OrderCommandResult {
  readonly orderId: string;
  readonly streamId: string;
  readonly version: number;
  readonly status: OrderStatus;
}
