import type { Order, OrderLine, OrderStatus } from '../orders/order.model.js';

function order(
  id: string,
  customer: string,
  status: OrderStatus,
  placedAt: string,
  lines: OrderLine[],
): Order {
  const totalCents = lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0);
  return { id, customer, status, lines, totalCents, currency: 'EUR', placedAt };
}

/** The rows the in-memory database starts with. */
export const SEED_ORDERS: readonly Order[] = [
  order('1001', 'ada@example.com', 'delivered', '2025-01-06T09:12:00.000Z', [
    { sku: 'KB-104', quantity: 1, unitPriceCents: 8900 },
  ]),
  order('1002', 'grace@example.com', 'shipped', '2025-01-07T14:30:00.000Z', [
    { sku: 'MS-220', quantity: 2, unitPriceCents: 2450 },
    { sku: 'PAD-01', quantity: 1, unitPriceCents: 1200 },
  ]),
  order('1003', 'linus@example.com', 'placed', '2025-01-08T08:05:00.000Z', [
    { sku: 'MON-27', quantity: 1, unitPriceCents: 27900 },
  ]),
];
