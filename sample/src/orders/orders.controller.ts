import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import type { Order } from './order.model.js';
import { OrdersRepository } from './orders.repository.js';

@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersRepository) {}

  @Get()
  findAll(): Promise<Order[]> {
    return this.orders.findAll();
  }

  @Get(':id')
  async findOne(@Param('id') id: string): Promise<Order> {
    const order = await this.orders.findById(id);
    if (order === undefined) throw new NotFoundException(`no order ${id}`);
    return order;
  }
}
