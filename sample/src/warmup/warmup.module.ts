import { Module } from '@nestjs/common';
import { WarmupHealth } from './warmup.health.js';
import { WarmupService } from './warmup.service.js';

@Module({
  providers: [WarmupService, WarmupHealth],
  exports: [WarmupService],
})
export class WarmupModule {}
