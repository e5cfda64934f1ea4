import {
  BadRequestException,
  Controller,
  Get,
  NotFoundException,
  Param,
  Query,
} from '@nestjs/common';
import type { Order } from './order.model.js';
import { OrdersRepository } from './orders.repository.js';

@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersRepository) {}

  @Get()
  findAll(): Promise<Order[]> {
    return this.orders.findAll();
  }

  /**
   * A report that takes `cpuMs` of CPU: a business route that keeps the event loop busy, as a
   * heavy endpoint under load does. The probe server answers in the meantime; the app's port waits.
   */
  @Get('report')
  async report(@Query('cpuMs') raw = '20'): Promise<{ orders: number; cpuMs: number }> {
    const cpuMs = Number(raw);
    if (!Number.isFinite(cpuMs) || cpuMs < 0 || cpuMs > 1000) {
      throw new BadRequestException('cpuMs must be a number from 0 to 1000');
    }
    const orders = await this.orders.findAll();
    const until = performance.now() + cpuMs;
    while (performance.now() < until);
    return { orders: orders.length, cpuMs };
  }

  @Get(':id')
  async findOne(@Param('id') id: string): Promise<Order> {
    const order = await this.orders.findById(id);
    if (order === undefined) throw new NotFoundException(`no order ${id}`);
    return order;
  }
}
