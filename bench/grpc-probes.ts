/**
 * Scenarios 14-15 of the benchmark (`node grpc-probes.js [--quick] [--only=saturation,stall]`, one
 * JSON line): the kubelet's gRPC liveness probe (`Check('liveness')` on a new channel per probe)
 * against the probe server's gRPC port and the app's own gRPC port, on the same busy app
 * (`busy-server.js` with `GRPC=on`: a hybrid app whose gRPC microservice serves the health service
 * too), loaded by autocannon over loopback.
 * 14. under saturation: a business route taking 20 ms of CPU, 20 connections; a probe of each
 *     port every 100 ms, none waiting for another;
 * 15. a stall: the event loop blocked for 6 s with maxStallMs 2000: when liveness turns
 *     NOT_SERVING on the probe server's gRPC port, and SERVING again.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import autocannon from 'autocannon';
import { HEALTH_PROTO_PATH } from 'nestjs-probes';
import { measureStall, percentiles, sleep, start, stop } from './busy-process.js';

const quick = process.argv.includes('--quick');
const LOAD_S = quick ? 3 : 8;
/** A deadline well past the kubelet's 1 s, to see how late an answer comes. */
const DEADLINE_MS = 10_000;

const { Health } = (
  grpc.loadPackageDefinition(
    protoLoader.loadSync(HEALTH_PROTO_PATH, { keepCase: true, enums: String }),
  ) as unknown as { grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } } }
).grpc.health.v1;

type CheckFn = (
  request: object,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, reply?: { status: string }) => void,
) => void;

/** One `Check` on a new channel, as the kubelet sends it: its status (if any) and latency. */
function checkOnce(port: number, service: string): Promise<{ status?: string; ms: number }> {
  const sent = performance.now();
  const client = new Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return new Promise((resolve) =>
    (client.Check as CheckFn).call(
      client,
      { service },
      { deadline: Date.now() + DEADLINE_MS },
      (error, reply) => {
        client.close();
        resolve({ status: error ? undefined : reply!.status, ms: performance.now() - sent });
      },
    ),
  );
}

/** 14. gRPC liveness while 20 connections keep a 20 ms-of-CPU route busy. */
async function saturation() {
  const server = await start({ BUSY_SERVER: 'probes', GRPC: 'on' });
  try {
    const ports = { probeServer: server.probeGrpcPort!, appPort: server.grpcPort! };
    // A pod has answered many probes before it is saturated: their code is warm, here and there.
    for (let i = 0; i < 50; i++) {
      await Promise.all(Object.values(ports).map((port) => checkOnce(port, 'liveness')));
    }
    const load = autocannon({
      url: `http://127.0.0.1:${server.port}/work?cpuMs=20`,
      connections: 20,
      duration: LOAD_S,
    });
    await sleep(500);
    const sent: Record<keyof typeof ports, Promise<{ status?: string; ms: number }>[]> = {
      probeServer: [],
      appPort: [],
    };
    const until = performance.now() + (LOAD_S - 1) * 1000;
    while (performance.now() < until) {
      for (const id of ['probeServer', 'appPort'] as const) {
        sent[id].push(checkOnce(ports[id], 'liveness'));
      }
      await sleep(100);
    }
    await load;
    const latencies = async (id: keyof typeof ports) => {
      const answers = await Promise.all(sent[id]);
      const taken = answers.map(({ status, ms }) => (status === 'SERVING' ? ms : DEADLINE_MS));
      return {
        ...percentiles(taken),
        withinTimeout: taken.filter((value) => value <= 1000).length,
      };
    };
    process.stderr.write('.');
    return { probeServer: await latencies('probeServer'), appPort: await latencies('appPort') };
  } finally {
    await stop(server);
  }
}

/** 15. The event loop blocked for 6 s, maxStallMs 2000: when gRPC liveness fails and passes. */
async function stall() {
  const server = await start({ BUSY_SERVER: 'probes', GRPC: 'on', MAX_STALL_MS: '2000' });
  try {
    await sleep(500);
    const measured = await measureStall(server, 2000, async () => {
      const { status } = await checkOnce(server.probeGrpcPort!, 'liveness');
      return status === 'SERVING' ? true : status === 'NOT_SERVING' ? false : undefined;
    });
    process.stderr.write('.');
    return measured;
  } finally {
    await stop(server);
  }
}

/** `--only=stall`: some scenarios alone, to look at one while working on it. */
const only = process.argv
  .find((arg) => arg.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const scenarios = { saturation, stall };
const results: Record<string, unknown> = {};
for (const [name, run] of Object.entries(scenarios)) {
  if (!only || only.includes(name)) results[name] = await run();
}
console.log(JSON.stringify(results));
process.exit(0);
