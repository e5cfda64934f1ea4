import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { APP_CONFIG, type AppConfig } from './app.config.js';
import { AppModule } from './app.module.js';

const app = await NestFactory.create<NestExpressApplication>(AppModule);
const config = app.get<AppConfig>(APP_CONFIG);
// nestjs-probes handles SIGTERM and SIGINT either way (readiness fails, the server keeps serving
// for the delay, drains, then the app closes); with Nest's hooks enabled, Nest drives the close.
// SHUTDOWN_HOOKS=false shows the other way.
if (config.shutdownHooks) app.enableShutdownHooks();

await app.listen(config.port);

// With PORT=0 the system picks the port: print the one actually bound.
const { port } = app.getHttpServer().address() as AddressInfo;
const base = `http://localhost:${port}`;
const health = [base, config.healthPath.replace(/^\/+|\/+$/g, '')].filter(Boolean).join('/');

console.log(
  [
    `Orders sample listening on ${base}`,
    'Probes:',
    ...['live', 'ready', 'startup', 'deep'].map((probe) => `  ${health}/${probe}`),
    'Orders:',
    `  ${base}/orders`,
    `  ${base}/orders/1001`,
    'Faults (database, cache; mode down, slow or up):',
    `  GET    ${base}/admin/faults`,
    `  POST   ${base}/admin/faults/database?mode=down`,
    `  DELETE ${base}/admin/faults/database`,
    'Lifecycle:',
    `  POST   ${base}/admin/rotation/out   (and /admin/rotation/in)`,
    `  POST   ${base}/admin/shutdown`,
  ].join('\n'),
);
