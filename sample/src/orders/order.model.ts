export type OrderStatus = 'placed' | 'shipped' | 'delivered';

export interface OrderLine {
  sku: string;
  quantity: number;
  unitPriceCents: number;
}

export interface Order {
  id: string;
  customer: string;
  status: OrderStatus;
  lines: OrderLine[];
  /** In cents, so that sums are exact. */
  totalCents: number;
  currency: 'EUR';
  placedAt: string;
}
