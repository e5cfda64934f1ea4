import { Module } from '@nestjs/common';
import { HealthModule } from 'nestjs-probes';
import { APP_CONFIG, type AppConfig } from './app.config.js';
import { CacheModule } from './cache/cache.module.js';
import { ConfigModule } from './config.module.js';
import { ConnectionsModule } from './connections/connections.module.js';
import { DatabaseModule } from './database/database.module.js';
import { FaultsModule } from './faults/faults.module.js';
import { LifecycleModule } from './lifecycle/lifecycle.module.js';
import { OrdersModule } from './orders/orders.module.js';
import { WarmupModule } from './warmup/warmup.module.js';

@Module({
  imports: [
    ConfigModule,
    // forRootAsync: the options come from the same validated config as the rest of the service.
    HealthModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        path: config.healthPath,
        version: config.version,
        releaseId: config.releaseId,
        serviceId: 'orders-sample',
        description: 'Orders service: the nestjs-probes sample',
        // Probes from the kubelet, the load balancer and people share one run per second.
        cacheTtlMs: 1000,
        // Matches sample/k8s/deployment.yaml: terminationGracePeriodSeconds 30, probe timeout 1 s.
        shutdown: { delayMs: config.shutdownDelayMs, gracePeriodMs: 30_000 },
        probeTimeoutMs: 1000,
        // The startupProbe's budget (30 × 2 s): the warm-up's checks are expected to fail until
        // then, and are logged as not passing yet, not as errors.
        startupBudgetMs: 60_000,
        // The kubelet probes its own port, answered from a worker thread whatever the event loop
        // is doing (sample/k8s/deployment.yaml: containerPort "probes", not in the Service), and
        // over gRPC on another (PROBE_GRPC_PORT, sample/k8s/grpc-probes.yaml).
        probeServer: {
          port: config.probePort,
          maxStallMs: config.maxStallMs,
          grpcPort: config.probeGrpcPort,
        },
        // grpc.health.v1.Health on the app's gRPC server too, when main.ts starts one
        // (GRPC_PORT): for its clients and the mesh, not for the kubelet.
        grpc: config.grpcPort !== undefined,
        // A live page for operators at /health/status, on both ports (internal callers only).
        statusPage: true,
      }),
    }),
    DatabaseModule,
    CacheModule,
    ConnectionsModule.forEnvironment(),
    OrdersModule,
    WarmupModule,
    FaultsModule,
    LifecycleModule,
  ],
})
export class AppModule {}
