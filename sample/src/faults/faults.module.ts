import { Module } from '@nestjs/common';
import { FaultsController } from './faults.controller.js';
import { FaultsService } from './faults.service.js';

@Module({
  controllers: [FaultsController],
  providers: [FaultsService],
  exports: [FaultsService],
})
export class FaultsModule {}
