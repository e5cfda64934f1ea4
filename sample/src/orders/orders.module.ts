import { Module } from '@nestjs/common';
import { CacheModule } from '../cache/cache.module.js';
import { DatabaseModule } from '../database/database.module.js';
import { OrdersController } from './orders.controller.js';
import { OrdersGrpcController } from './orders.grpc.controller.js';
import { OrdersRepository } from './orders.repository.js';

@Module({
  imports: [DatabaseModule, CacheModule],
  controllers: [OrdersController, OrdersGrpcController],
  providers: [OrdersRepository],
})
export class OrdersModule {}
