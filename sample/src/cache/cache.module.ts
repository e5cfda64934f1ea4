import { Module } from '@nestjs/common';
import { FaultsModule } from '../faults/faults.module.js';
import { CacheClient } from './cache.client.js';

@Module({
  imports: [FaultsModule],
  providers: [CacheClient],
  // The indicator is chosen by ConnectionsModule: in-process, or the library's on a real server.
  exports: [CacheClient],
})
export class CacheModule {}
