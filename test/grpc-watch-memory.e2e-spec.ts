import { afterEach, describe, expect, it } from '@jest/globals';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import './support/dist.js';
import { check, healthClient, watch, type HealthClient, type WatchStream } from './support/grpc.js';
import { freePort } from './support/servers.js';

/**
 * What an open Watch stream costs the server, whatever the client sends: grpc-js keeps a call's
 * request (and the bytes it came in) for as long as the call lasts. Each server runs in a process
 * of its own, so that its memory is measured apart from the clients', after garbage collection:
 * a gRPC app's own port (whose interceptors never see a health call), and the probe server's gRPC
 * port as its worker runs it.
 */
const APP = fileURLToPath(new URL('./fixtures/grpc-watch-app.mjs', import.meta.url));
const PROBE_PORT = fileURLToPath(new URL('./fixtures/grpc-watch-port.mjs', import.meta.url));

/** The longest name the app's default limit on a message (4 MiB) takes, with its framing. */
const HUGE = 'x'.repeat(4 * 1024 * 1024 - 16);
/** The longest name the probe server's gRPC port takes (its limit on a message: 320 bytes). */
const LONGEST = 'x'.repeat(300);

interface Memory {
  heapUsed: number;
  arrayBuffers: number;
  /** How many calls' arguments the application's interceptor keeps. */
  calls: number;
  /** The longest request it keeps, as JSON. */
  largestRequest: number;
}

interface Server {
  child: ChildProcess;
  address: string;
  memory(): Promise<Memory>;
}

let server: Server | undefined;
let client: HealthClient | undefined;
const streams: WatchStream[] = [];

afterEach(() => {
  for (const stream of streams.splice(0)) stream.cancel();
  client?.close();
  client = undefined;
  server?.child.kill('SIGKILL');
  server = undefined;
});

async function launch(fixture: string): Promise<Server> {
  const port = await freePort();
  const child = fork(fixture, [], {
    env: { ...process.env, PORT: String(port) },
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no READY within 10 s')), 10_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('READY')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => reject(new Error(`exited with ${code} at start`)));
  });
  const memory = () =>
    new Promise<Memory>((resolve) => {
      child.once('message', (message) => resolve(message as Memory));
      child.send('memory');
    });
  return { child, address: `127.0.0.1:${port}`, memory };
}

/** Opens `count` streams, 10 at a time (4 MB requests all at once would swamp the socket). */
async function open(service: string, count: number, status: string): Promise<void> {
  for (let i = 0; i < count; i += 10) {
    const batch = Array.from({ length: Math.min(10, count - i) }, () => watch(client!, service));
    streams.push(...batch);
    const received = await Promise.all(batch.map((stream) => stream.received(1, 20_000)));
    expect(received).toEqual(batch.map(() => [status]));
  }
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`;

/** Opens streams, and measures what the last `count` of them hold on the server. */
async function measure(
  fixture: string,
  what: string,
  service: string,
  [warmup, count]: readonly [number, number],
  status: string,
): Promise<Memory> {
  server = await launch(fixture);
  client = healthClient(server.address, { 'grpc.max_send_message_length': -1 });
  // The first streams pay for what is allocated once (code, buffers, tables that grow).
  await open(service, warmup, status);
  const before = await server.memory();
  await open(service, count, status);
  const after = await server.memory();
  const heap = (after.heapUsed - before.heapUsed) / count;
  const buffers = (after.arrayBuffers - before.arrayBuffers) / count;
  console.log(`per open Watch stream of ${what}: heap ${kb(heap)}, buffers ${kb(buffers)}`);
  expect(heap + buffers).toBeLessThan(64 * 1024);
  // The answer is kept: every stream still open, after its one status.
  expect(streams.every((stream) => stream.statuses.length === 1)).toBe(true);
  return after;
}

/**
 * The 4 MB names: 240 MB sent and decoded, about 6 s on an idle machine, over 20 s beside another
 * suite on two busy cores (CI). Only the time is generous: the measure is the same.
 */
const HUGE_NAMES_TIMEOUT_MS = 90_000;

describe("the memory an open Watch stream holds on an app's gRPC server", () => {
  // How many streams: first to warm up, then to measure. The client keeps each 4 MB request it
  // sent while its stream is open (grpc-js's own doing, on the client's side): few of those.
  it.each([
    ['a probe', 'ready', [100, 500], 'SERVING'],
    ['an unknown service', 'orders', [100, 500], 'SERVICE_UNKNOWN'],
    ['an unknown service named in 4 MB', HUGE, [10, 50], 'SERVICE_UNKNOWN'],
  ] as const)(
    'watching %s: a few kB per stream',
    async (what, service, counts, status) => {
      const after = await measure(APP, what, service, counts, status);
      // Past Nest's pipeline: the interceptor that keeps every call's arguments saw none.
      expect(after.calls).toBe(0);
    },
    HUGE_NAMES_TIMEOUT_MS,
  );
});

describe("the memory an open Watch stream holds on the probe server's gRPC port", () => {
  it.each([
    ['a probe', 'liveness', [100, 500], 'SERVING'],
    ['an unknown service', 'orders', [100, 500], 'SERVICE_UNKNOWN'],
    ['an unknown service named in 300 bytes', LONGEST, [100, 500], 'SERVICE_UNKNOWN'],
  ] as const)('watching %s: a few kB per stream', async (what, service, counts, status) => {
    await measure(PROBE_PORT, what, service, counts, status);
  });

  it('refuses a request larger than a health request needs, holding nothing of it', async () => {
    server = await launch(PROBE_PORT);
    client = healthClient(server.address, { 'grpc.max_send_message_length': -1 });
    const stream = watch(client, HUGE);
    streams.push(stream);
    expect(await stream.ended).toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    expect(await check(client, HUGE)).toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    expect(await check(client, 'liveness')).toEqual({ status: 'SERVING' });
  });
});
