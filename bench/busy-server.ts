/**
 * A server of the probe server benchmark, in a process of its own (`BUSY_SERVER`):
 * - `probes`: nestjs-probes with three cached indicators, the probe server on unless
 *   `PROBE_SERVER=off` (`MAX_STALL_MS` for its stall budget); with `GRPC=on`, the probe server's
 *   gRPC port and a gRPC microservice of the app serving the health service too (hybrid);
 * - `terminus`: @nestjs/terminus' controller, `/health/live` (no check) and `/health/ready` (the
 *   three indicators, `.cacheFor(1000)`);
 * - `lightship`: lightship's probe server (`/live`, `/ready`), on a port of its own but on the
 *   app's event loop, ready once the app listens;
 * - `raw`: a bare `node:http` server answering a constant body, the physical limit.
 * The Nest ones also serve `GET /work?cpuMs=20` (a business route burning CPU), `POST /block?ms=`
 * (blocks the event loop) and `GET /rss`. Prints `LISTENING {"port", "probePort", "startupMs"}`,
 * with `grpcPort` (the app's) and `probeGrpcPort` under `GRPC=on`.
 */
import 'reflect-metadata';
import { Controller, Get, Injectable, Module, Post, Query, type Provider } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  HealthCheck as TerminusHealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  TerminusModule,
} from '@nestjs/terminus';
import { Transport } from '@nestjs/microservices';
import { createLightship } from 'lightship';
import {
  HEALTH_GRPC_PACKAGE,
  HEALTH_PROTO_PATH,
  HealthIndicator,
  HealthModule,
  HealthService,
  type HealthCheck,
} from 'nestjs-probes';
import { createServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';

const variant = process.env.BUSY_SERVER ?? 'probes';
const NAMES = ['database', 'cache', 'queue'] as const;
const started = performance.now();

const spin = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

@Controller()
class BusinessController {
  /** A business route: `cpuMs` of CPU per request. */
  @Get('work')
  work(@Query('cpuMs') cpuMs = '20') {
    spin(Number(cpuMs));
    return { done: true };
  }

  /** Blocks the event loop, as a stuck computation does. */
  @Post('block')
  block(@Query('ms') ms = '6000') {
    spin(Number(ms));
    return { blocked: Number(ms) };
  }

  @Get('rss')
  rss() {
    return { rss: process.memoryUsage().rss };
  }
}

function indicators(): Provider[] {
  return NAMES.map((name) => {
    @HealthIndicator({ name, timeoutMs: 500 })
    @Injectable()
    class Indicator implements HealthCheck {
      check() {}
    }
    return Indicator;
  });
}

@Controller('health')
class TerminusController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
  ) {}

  @Get('live')
  @TerminusHealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @TerminusHealthCheck()
  ready() {
    return this.health.check(
      NAMES.map(
        (name) => () =>
          this.indicator
            .check(name)
            .attempt(() => undefined)
            .cacheFor(1000),
      ),
    );
  }
}

const grpc = process.env.GRPC === 'on';

function moduleFor(name: string) {
  const probeServer =
    process.env.PROBE_SERVER === 'off'
      ? false
      : {
          port: 0,
          maxStallMs: Number(process.env.MAX_STALL_MS ?? 10_000),
          grpcPort: grpc ? 0 : undefined,
        };
  const metadata =
    name === 'terminus'
      ? {
          imports: [TerminusModule.forRoot({ logger: false })],
          controllers: [BusinessController, TerminusController],
        }
      : name === 'lightship'
        ? { controllers: [BusinessController] }
        : {
            imports: [
              HealthModule.forRoot({ cacheTtlMs: 1000, shutdown: false, probeServer, grpc }),
            ],
            controllers: [BusinessController],
            providers: indicators(),
          };
  @Module(metadata)
  class BusyModule {}
  return BusyModule;
}

if (variant === 'raw') {
  const body = '{"status":"pass"}';
  const server = createServer((_request, response) => {
    response.writeHead(200, {
      'Content-Type': 'application/health+json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
    });
    response.end(body);
  }).listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    console.log(`LISTENING ${JSON.stringify({ port })}`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
} else {
  const app = await NestFactory.create(moduleFor(variant), { logger: false });
  let grpcPort: number | undefined;
  if (variant === 'probes' && grpc) {
    grpcPort = await freePort();
    app.connectMicroservice({
      transport: Transport.GRPC,
      options: {
        url: `127.0.0.1:${grpcPort}`,
        package: HEALTH_GRPC_PACKAGE,
        protoPath: HEALTH_PROTO_PATH,
      },
    });
    await app.startAllMicroservices();
  }
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  let probePort: number | undefined;
  let probeGrpcPort: number | undefined;
  if (variant === 'probes') {
    ({ probeServerPort: probePort, probeServerGrpcPort: probeGrpcPort } = app.get(HealthService));
  } else if (variant === 'lightship') {
    // Its own server, on this event loop: ready once the app listens.
    const lightship = await createLightship({ detectKubernetes: false, port: 0 });
    lightship.signalReady();
    probePort = (lightship.server.address() as AddressInfo).port;
  }
  const startupMs = Math.round((performance.now() - started) * 10) / 10;
  console.log(
    `LISTENING ${JSON.stringify({ port, probePort, grpcPort, probeGrpcPort, startupMs })}`,
  );
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
