import { Module } from '@nestjs/common';
import { FaultsModule } from '../faults/faults.module.js';
import { DatabaseClient } from './database.client.js';

@Module({
  imports: [FaultsModule],
  providers: [DatabaseClient],
  // The indicator is chosen by ConnectionsModule: in-process, or the library's on a real server.
  exports: [DatabaseClient],
})
export class DatabaseModule {}
