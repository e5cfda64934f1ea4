/**
 * `node dist-bench/grpc.js`: `grpc.health.v1.Health/Check` of nestjs-probes (readiness over 3
 * indicators cached for 1 s) on a Nest gRPC microservice's own port and on the probe server's
 * gRPC port (an HTTP app, its worker serving gRPC), side by side with a bare grpc-js health
 * service answering a constant status (grpc-health-check's HealthImplementation). Each server in
 * its own process; the load from this one: CONCURRENCY calls in flight on one channel, for
 * DURATION_S after a warm-up, in alternating order across repeats. Prints one JSON line.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport } from '@nestjs/microservices';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import healthCheck from 'grpc-health-check';
import {
  HEALTH_GRPC_PACKAGE,
  HEALTH_PROTO_PATH,
  HealthIndicator,
  HealthModule,
  type HealthCheck,
} from 'nestjs-probes';

const REPEATS = 3;
const DURATION_S = 4;
const WARMUP_S = 1;
const CONCURRENCY = 10;
const SERVERS = ['nest', 'probeServer', 'bare'] as const;
type ServerId = (typeof SERVERS)[number];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Three indicators that answer at once: what `ready` aggregates, from the cache. */
function indicators() {
  return ['database', 'cache', 'queue'].map((name) => {
    @HealthIndicator({ name })
    @Injectable()
    class Indicator implements HealthCheck {
      check() {
        return undefined;
      }
    }
    return Indicator;
  });
}

async function serve(id: ServerId, address: string): Promise<void> {
  if (id === 'bare') {
    const server = new grpc.Server();
    new healthCheck.HealthImplementation({ '': 'SERVING' }).addToServer(server);
    await new Promise<number>((resolve, reject) =>
      server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, port) =>
        error ? reject(error) : resolve(port),
      ),
    );
  } else if (id === 'probeServer') {
    const grpcPort = Number(address.split(':')[1]);
    const probeServer = { port: 0, grpcPort, host: '127.0.0.1' };
    @Module({
      imports: [HealthModule.forRoot({ probeServer, logger: false, shutdown: false })],
      providers: indicators(),
    })
    class ProbeServerModule {}
    const app = await NestFactory.create(ProbeServerModule, { logger: false });
    await app.listen(0, '127.0.0.1');
  } else {
    @Module({
      imports: [HealthModule.forRoot({ grpc: true, logger: false, shutdown: false })],
      providers: indicators(),
    })
    class BenchModule {}
    const app = await NestFactory.createMicroservice(BenchModule, {
      transport: Transport.GRPC,
      options: { url: address, package: HEALTH_GRPC_PACKAGE, protoPath: HEALTH_PROTO_PATH },
      logger: false,
    });
    await app.listen();
  }
  // The CPU time the server's process has used (its threads, a worker included), when asked.
  process.stdin.on('data', () => {
    const { user, system } = process.cpuUsage();
    console.log(`CPU ${user + system}`);
  });
  console.log('LISTENING');
}

/** The CPU time (µs) a server's process has used so far. */
function cpuOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const read = (chunk: Buffer) => {
      const match = /CPU (\d+)/.exec(chunk.toString());
      if (!match) return;
      child.stdout!.off('data', read);
      resolve(Number(match[1]));
    };
    child.stdout!.on('data', read);
    child.stdin!.write('cpu\n');
  });
}

function startServer(id: ServerId, address: string): Promise<ChildProcess> {
  const program = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, [program, 'serve', id, address], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('LISTENING')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`server ${id} exited with ${code}: ${out}`)));
  });
}

type CheckFn = (request: object, callback: (error: grpc.ServiceError | null) => void) => void;

interface Measure {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** The server process's CPU time per call (µs): what a call costs it, whatever the machine does. */
  serverCpuUsPerCall: number;
}

/** CONCURRENCY loops of Check, each starting its next call when the previous one ends. */
async function load(check: CheckFn, seconds: number): Promise<Omit<Measure, 'serverCpuUsPerCall'>> {
  const latencies: number[] = [];
  let errors = 0;
  const until = performance.now() + seconds * 1000;
  const loop = async () => {
    while (performance.now() < until) {
      const sent = performance.now();
      await new Promise<void>((resolve) =>
        check({ service: '' }, (error) => {
          if (error) errors++;
          else latencies.push(performance.now() - sent);
          resolve();
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  const sorted = latencies.toSorted((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.floor(q * (sorted.length - 1))] * 1000) / 1000;
  return {
    requestsPerSecond: Math.round(latencies.length / seconds),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    errors,
  };
}

const median = (values: number[]) => values.toSorted((a, b) => a - b)[values.length >> 1];

async function main(): Promise<void> {
  const definition = protoLoader.loadSync(HEALTH_PROTO_PATH, { keepCase: true });
  const { Health } = (
    grpc.loadPackageDefinition(definition) as unknown as {
      grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
    }
  ).grpc.health.v1;
  const runs = new Map<ServerId, Measure[]>(SERVERS.map((id) => [id, []]));
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    for (const id of repeat % 2 === 0 ? SERVERS : SERVERS.toReversed()) {
      const address = `127.0.0.1:${await freePort()}`;
      const child = await startServer(id, address);
      const client = new Health(address, grpc.credentials.createInsecure());
      const check = (client.Check as CheckFn).bind(client);
      try {
        await load(check, WARMUP_S);
        const cpuBefore = await cpuOf(child);
        const measure = await load(check, DURATION_S);
        const cpu = (await cpuOf(child)) - cpuBefore;
        const calls = measure.requestsPerSecond * DURATION_S;
        runs.get(id)!.push({ ...measure, serverCpuUsPerCall: Math.round((cpu / calls) * 10) / 10 });
        process.stderr.write('.');
      } finally {
        client.close();
        child.kill('SIGKILL');
      }
    }
  }
  process.stderr.write('\n');
  const summary = Object.fromEntries(
    SERVERS.map((id) => {
      const measures = runs.get(id)!;
      return [
        id,
        {
          requestsPerSecond: median(measures.map((m) => m.requestsPerSecond)),
          p50Ms: median(measures.map((m) => m.p50Ms)),
          p99Ms: median(measures.map((m) => m.p99Ms)),
          errors: measures.reduce((sum, m) => sum + m.errors, 0),
          serverCpuUsPerCall: median(measures.map((m) => m.serverCpuUsPerCall)),
        },
      ];
    }),
  ) as Record<ServerId, Measure>;
  // The median of the ratios within each repeat: the servers of a repeat ran back to back.
  const toBare = (id: ServerId) =>
    Math.round(
      median(
        runs.get(id)!.map((m, i) => m.requestsPerSecond / runs.get('bare')![i].requestsPerSecond),
      ) * 100,
    ) / 100;
  console.log(
    JSON.stringify({
      settings: { repeats: REPEATS, durationSeconds: DURATION_S, concurrency: CONCURRENCY },
      ...summary,
      nestToBare: toBare('nest'),
      probeServerToBare: toBare('probeServer'),
    }),
  );
}

if (process.argv[2] === 'serve') {
  await serve(process.argv[3] as ServerId, process.argv[4]);
} else {
  await main();
}
