import { Module } from '@nestjs/common';
import { FaultsModule } from '../faults/faults.module.js';
import { DatabaseClient } from './database.client.js';
import { DatabaseHealth } from './database.health.js';

/** The indicator lives next to what it checks; HealthModule finds it here without registration. */
@Module({
  imports: [FaultsModule],
  providers: [DatabaseClient, DatabaseHealth],
  exports: [DatabaseClient],
})
export class DatabaseModule {}
