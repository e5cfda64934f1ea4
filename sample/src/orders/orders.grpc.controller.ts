import { Controller } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import { OrdersRepository } from './orders.repository.js';

/** gRPC NOT_FOUND. */
const NOT_FOUND = 5;

/** `orders.OrdersService` (orders.proto): the gRPC face of the orders, when GRPC_PORT is set. */
@Controller()
export class OrdersGrpcController {
  constructor(private readonly orders: OrdersRepository) {}

  @GrpcMethod('OrdersService', 'GetOrder')
  async getOrder({ id }: { id: string }) {
    const order = await this.orders.findById(id);
    if (order === undefined) throw new RpcException({ code: NOT_FOUND, message: `no order ${id}` });
    return {
      id: order.id,
      customer: order.customer,
      status: order.status,
      totalCents: order.totalCents,
    };
  }
}
