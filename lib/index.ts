export { HealthModule } from './health.module.js';
export { HEALTH_MODULE_OPTIONS } from './health.module-definition.js';
export { HealthService } from './health.service.js';
export type { StatusChange } from './core/health.events.js';
export { HealthIndicator } from './decorators/health-indicator.decorator.js';
export {
  InternalNetworkGuard,
  type HttpRequest,
} from './transports/http/internal-network.guard.js';
export {
  NetworkPolicy,
  DEFAULT_INTERNAL_NETWORKS,
  type TrustProxy,
} from './core/network.policy.js';
export { Redactor, type RedactionRule } from './core/redactor.js';
export type {
  CheckReport,
  CheckResult,
  ComponentType,
  HealthCheck,
  HealthReport,
  HealthStatus,
  IndicatorProbe,
  ProbeName,
} from './interfaces/health-check.interface.js';
export type { HealthIndicatorOptions } from './interfaces/health-indicator-options.interface.js';
export { HEALTH_GRPC_PACKAGE, HEALTH_PROTO_PATH } from './transports/grpc/health.grpc.js';
export type {
  AutoIndicatorsOptions,
  GrpcHealthOptions,
  HealthModuleAsyncOptions,
  HealthModuleExtras,
  HealthModuleOptions,
  HealthOptionsFactory,
  MetricsOptions,
  OpenTelemetryOptions,
  ProbeAccess,
  ShutdownOptions,
  StatusPageOptions,
} from './interfaces/health-module-options.interface.js';

// Built-in indicators: each registers in a line (`X.register({...})`) or is extended.
export {
  BuiltInIndicator,
  type ClientLocation,
  type IndicatorOptions,
  type RegisterAsyncOptions,
  type RegisterOptions,
} from './indicators/support/built-in.indicator.js';
export {
  PostgresHealthIndicator,
  type PgClient,
  type PgPool,
  type PgPoolClient,
  type PostgresIndicatorSettings,
} from './indicators/postgres.indicator.js';
export {
  MysqlHealthIndicator,
  type MysqlCallbackClient,
  type MysqlIndicatorSettings,
  type MysqlPromiseClient,
} from './indicators/mysql.indicator.js';
export {
  SqlHealthIndicator,
  type KnexLikeClient,
  type PrismaLikeClient,
  type QueryableClient,
  type SqlClient,
  type SqlIndicatorSettings,
} from './indicators/sql.indicator.js';
/** TypeORM: the DataSource of @nestjs/typeorm (default or named), through its pg or mysql2 pool. */
export {
  TypeOrmHealthIndicator,
  type TypeOrmDataSourceLike,
  type TypeOrmIndicatorSettings,
} from './indicators/typeorm.indicator.js';
/** Prisma: the application's Prisma client (its PrismaService). */
export {
  PrismaHealthIndicator,
  type PrismaClientLike,
  type PrismaIndicatorSettings,
} from './indicators/prisma.indicator.js';
/** MikroORM: the MikroORM of @mikro-orm/nestjs (default or by contextName), through its Knex pool. */
export {
  MikroOrmHealthIndicator,
  type MikroOrmConnectionLike,
  type MikroOrmIndicatorSettings,
  type MikroOrmLike,
} from './indicators/mikro-orm.indicator.js';
/** Sequelize: the connection of @nestjs/sequelize (default or named), through its pool. */
export {
  SequelizeHealthIndicator,
  type SequelizeConnectionManagerLike,
  type SequelizeIndicatorSettings,
  type SequelizeLike,
} from './indicators/sequelize.indicator.js';
/** Drizzle: the application's Drizzle database, through its pg or mysql2 pool. */
export {
  DrizzleHealthIndicator,
  type DrizzleDatabaseLike,
  type DrizzleIndicatorSettings,
} from './indicators/drizzle.indicator.js';
/** MongoDB: the application's MongoClient (or a Db of it), a `ping` round trip. */
export { MongoHealthIndicator, type MongoIndicatorSettings } from './indicators/mongo.indicator.js';
/** Mongoose: the connection of @nestjs/mongoose (default or named), its client checked the same way. */
export {
  MongooseHealthIndicator,
  type MongooseConnectionLike,
  type MongooseIndicatorSettings,
} from './indicators/mongoose.indicator.js';
/** The part of the MongoDB driver the Mongo indicators use, typed by its shape. */
export type {
  MongoClientLike,
  MongoCommand,
  MongoDbLike,
} from './indicators/support/mongo-command.js';
export {
  RedisHealthIndicator,
  type IoRedisClientLike,
  type NodeRedisClientLike,
  type RedisClientLike,
  type RedisIndicatorSettings,
} from './indicators/redis.indicator.js';
export {
  RabbitMqHealthIndicator,
  type AmqpChannelLike,
  type AmqpConnectionLike,
  type RabbitMqIndicatorSettings,
} from './indicators/rabbitmq.indicator.js';
export {
  NatsHealthIndicator,
  type NatsConnectionLike,
  type NatsIndicatorSettings,
} from './indicators/nats.indicator.js';
export {
  MqttHealthIndicator,
  type MqttClientLike,
  type MqttIndicatorSettings,
} from './indicators/mqtt.indicator.js';
/** A BullMQ queue of `@nestjs/bullmq`: its connection, its workers and its backlog. */
export {
  BullMqHealthIndicator,
  type BullMqIndicatorSettings,
  type BullMqRegisterOptions,
  type BullQueueLike,
  type BullRedisClientLike,
  type BullWorkerLike,
} from './indicators/bullmq.indicator.js';
/** The application's memcached client (memjs): a `stats` round trip to each of its servers. */
export {
  MemcachedHealthIndicator,
  type MemcachedIndicatorSettings,
  type MemjsClientLike,
  type MemjsServerLike,
} from './indicators/memcached.indicator.js';
/** A Nest microservice client (`ClientProxy`) of the application, on its own connection. */
export {
  MicroserviceClientHealthIndicator,
  type ClientProxyLike,
  type MicroserviceClientIndicatorSettings,
} from './indicators/microservice-client.indicator.js';
/** The application's own microservice servers (consumers), through their status events. */
export {
  MicroserviceServerHealthIndicator,
  type MicroserviceServerIndicatorSettings,
  type RpcServerLike,
} from './indicators/microservice-server.indicator.js';
/** An rxjs-style observable, as the microservice indicators take them. */
export type { ObservableLike } from './indicators/support/nest-microservices.js';
export { HttpHealthIndicator, type HttpIndicatorSettings } from './indicators/http.indicator.js';
export { TcpHealthIndicator, type TcpIndicatorSettings } from './indicators/tcp.indicator.js';
export { DiskHealthIndicator, type DiskIndicatorSettings } from './indicators/disk.indicator.js';
export {
  MemoryHealthIndicator,
  type MemoryIndicatorSettings,
} from './indicators/memory.indicator.js';
export {
  EventLoopHealthIndicator,
  type EventLoopIndicatorSettings,
} from './indicators/event-loop.indicator.js';
export {
  TerminusHealthIndicator,
  fromTerminusResult,
  runTerminusCheck,
  type HealthIndicatorResultLike,
  type TerminusCheckFunction,
  type TerminusIndicatorDetailLike,
  type TerminusIndicatorSettings,
  type TerminusStatus,
} from './indicators/terminus.indicator.js';
