import { Module } from '@nestjs/common';
import { FaultsModule } from '../faults/faults.module.js';
import { CacheClient } from './cache.client.js';
import { CacheHealth } from './cache.health.js';

@Module({
  imports: [FaultsModule],
  providers: [CacheClient, CacheHealth],
  exports: [CacheClient],
})
export class CacheModule {}
