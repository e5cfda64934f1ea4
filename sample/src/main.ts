import { NestFactory } from '@nestjs/core';
import { Transport, type GrpcOptions } from '@nestjs/microservices';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { HealthService } from 'nestjs-probes';
import { fileURLToPath } from 'node:url';
import { HEALTH_GRPC_PACKAGE, HEALTH_PROTO_PATH } from 'nestjs-probes';
import { APP_CONFIG, type AppConfig } from './app.config.js';
import { AppModule } from './app.module.js';

const app = await NestFactory.create<NestExpressApplication>(AppModule);
const config = app.get<AppConfig>(APP_CONFIG);
// The shutdown, handed over to nestjs-probes: on SIGTERM or SIGINT (or POST /admin/shutdown)
// readiness fails, the app keeps serving for the delay, drains, then app.close() runs every hook
// and the process exits 0. SHUTDOWN_HOOKS=true lets Nest's own handler close it on a signal
// instead: an HTTP app on NestJS 12, whose close the library holds for the delay all the same.
app.get(HealthService).handleShutdown(app);
if (config.shutdownHooks) app.enableShutdownHooks();

// GRPC_PORT: a hybrid application, whose gRPC server serves the orders and grpc.health.v1.Health
// (HealthModule option grpc) to its clients. The kubelet's grpc probes ask the probe server's
// gRPC port instead (PROBE_GRPC_PORT, sample/k8s/grpc-probes.yaml): it answers while this loop is busy.
if (config.grpcPort !== undefined) {
  app.connectMicroservice<GrpcOptions>({
    transport: Transport.GRPC,
    options: {
      url: `0.0.0.0:${config.grpcPort}`,
      package: ['orders', HEALTH_GRPC_PACKAGE],
      protoPath: [
        fileURLToPath(new URL('orders/orders.proto', import.meta.url)),
        HEALTH_PROTO_PATH,
      ],
    },
  });
  await app.startAllMicroservices();
}

await app.listen(config.port);

// With PORT=0 the system picks the port: print the one actually bound.
const { port } = app.getHttpServer().address() as AddressInfo;
const base = `http://localhost:${port}`;
const path = config.healthPath.replace(/^\/+|\/+$/g, '');
const health = [base, path].filter(Boolean).join('/');
const probeBase = `http://localhost:${app.get(HealthService).probeServerPort}`;
const probes = [probeBase, path].filter(Boolean).join('/');
const probeGrpcPort = app.get(HealthService).probeServerGrpcPort;

console.log(
  [
    `Orders sample listening on ${base}`,
    'Probes:',
    ...['live', 'ready', 'startup', 'deep'].map((probe) => `  ${health}/${probe}`),
    'Probe server (a worker thread; what the kubelet probes):',
    ...['live', 'ready', 'startup', 'deep'].map((probe) => `  ${probes}/${probe}`),
    "Status page (live; the probe server's keeps answering while the event loop is stuck):",
    `  ${health}/status`,
    `  ${probes}/status`,
    'Orders:',
    `  ${base}/orders`,
    `  ${base}/orders/1001`,
    `  ${base}/orders/report?cpuMs=20   (CPU work, to load the event loop)`,
    'Faults (database, cache; mode down, slow or up):',
    `  GET    ${base}/admin/faults`,
    `  POST   ${base}/admin/faults/database?mode=down`,
    `  DELETE ${base}/admin/faults/database`,
    'Lifecycle:',
    `  POST   ${base}/admin/rotation/out   (and /admin/rotation/in)`,
    `  POST   ${base}/admin/shutdown`,
    `  POST   ${base}/admin/stall?ms=15000   (blocks the event loop: liveness fails on the probe server)`,
    ...(config.grpcPort === undefined
      ? []
      : [
          'gRPC (orders.OrdersService, grpc.health.v1.Health):',
          `  grpc://localhost:${config.grpcPort}`,
        ]),
    ...(probeGrpcPort === undefined
      ? []
      : [
          'Probe server, gRPC (grpc.health.v1.Health: what the kubelet’s grpc probes ask):',
          `  localhost:${probeGrpcPort}`,
        ]),
  ].join('\n'),
);
