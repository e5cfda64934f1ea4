import { BullMqHealthIndicator } from '../indicators/bullmq.indicator.js';
import { DrizzleHealthIndicator } from '../indicators/drizzle.indicator.js';
import { MemcachedHealthIndicator } from '../indicators/memcached.indicator.js';
import { MicroserviceClientHealthIndicator } from '../indicators/microservice-client.indicator.js';
import { MikroOrmHealthIndicator } from '../indicators/mikro-orm.indicator.js';
import { MongoHealthIndicator } from '../indicators/mongo.indicator.js';
import { MongooseHealthIndicator } from '../indicators/mongoose.indicator.js';
import { MqttHealthIndicator } from '../indicators/mqtt.indicator.js';
import { MysqlHealthIndicator } from '../indicators/mysql.indicator.js';
import { NatsHealthIndicator } from '../indicators/nats.indicator.js';
import { PostgresHealthIndicator } from '../indicators/postgres.indicator.js';
import { PrismaHealthIndicator } from '../indicators/prisma.indicator.js';
import { RabbitMqHealthIndicator } from '../indicators/rabbitmq.indicator.js';
import { RedisHealthIndicator } from '../indicators/redis.indicator.js';
import { SequelizeHealthIndicator } from '../indicators/sequelize.indicator.js';
import { TypeOrmHealthIndicator } from '../indicators/typeorm.indicator.js';
import type { BuiltInClass } from '../indicators/support/built-in.indicator.js';
import type { Discovery } from '../indicators/support/discovery.js';

/** @internal A built-in indicator that auto-discovery can make for a client it finds. */
export type DiscoverableClass = BuiltInClass<unknown> & { readonly discovery: Discovery };

/**
 * @internal The built-in indicators whose clients `autoIndicators` finds, each by its own
 * `discovery` (in its file). A client is the kind of the first that recognises it: the ORMs and
 * integrations come before the drivers and connections they hold, so that a client is named for
 * what the application uses.
 */
export const DISCOVERABLE: readonly DiscoverableClass[] = [
  TypeOrmHealthIndicator,
  SequelizeHealthIndicator,
  MikroOrmHealthIndicator,
  DrizzleHealthIndicator,
  PrismaHealthIndicator,
  MongooseHealthIndicator,
  MongoHealthIndicator,
  BullMqHealthIndicator,
  MicroserviceClientHealthIndicator,
  RedisHealthIndicator,
  RabbitMqHealthIndicator,
  NatsHealthIndicator,
  MqttHealthIndicator,
  MemcachedHealthIndicator,
  PostgresHealthIndicator,
  MysqlHealthIndicator,
] as unknown as readonly DiscoverableClass[];
