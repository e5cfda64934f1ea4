/**
 * What the probe server's scenarios share: a `busy-server.js` in a process of its own, started
 * and stopped, and the percentiles of latencies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';

const SERVER = fileURLToPath(new URL('./busy-server.js', import.meta.url));

export interface Started {
  child: ChildProcess;
  port: number;
  probePort?: number;
  /** The app's own gRPC port, and the probe server's (`GRPC=on`). */
  grpcPort?: number;
  probeGrpcPort?: number;
  startupMs?: number;
}

export function start(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, [SERVER], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /LISTENING (\{.*\})/.exec(out);
      if (match) resolve({ child, ...JSON.parse(match[1]) });
    });
    child.once('exit', (code) => reject(new Error(`busy server exited with ${code}: ${out}`)));
  });
}

export async function stop({ child }: Started): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const round = (value: number) => Math.round(value * 10) / 10;
export const median = (values: number[]) => values.toSorted((a, b) => a - b)[values.length >> 1];

/** p50, p99 and max of latencies (ms), and how many. */
export function percentiles(values: number[]) {
  const sorted = values.toSorted((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return {
    p50: round(at(0.5)),
    p99: round(at(0.99)),
    max: round(sorted.at(-1)!),
    count: sorted.length,
  };
}

/**
 * Blocks the busy server's event loop for 6 s (`POST /block`) while asking `passing()` every
 * 20 ms (true: passes, false: fails, undefined: no answer): how long after the block began the
 * answer turned to failing, and how long after it ended back to passing.
 */
export async function measureStall(
  server: Started,
  maxStallMs: number,
  passing: () => Promise<boolean | undefined>,
) {
  const blockMs = 6000;
  const blockedAt = performance.now();
  let endedAt: number | undefined;
  const blocking = new Promise<void>((resolve) => {
    const path = `/block?ms=${blockMs}`;
    const req = request({ host: '127.0.0.1', port: server.port, path, method: 'POST' }, (res) =>
      res.resume().on('end', resolve),
    );
    req.on('error', () => resolve());
    req.end();
  }).then(() => (endedAt = performance.now()));
  let failedAt: number | undefined;
  let passedAt: number | undefined;
  while (passedAt === undefined && performance.now() - blockedAt < blockMs + 5000) {
    const answer = await passing();
    const now = performance.now();
    if (answer === false && failedAt === undefined) failedAt = now;
    if (answer === true && failedAt !== undefined && endedAt !== undefined) passedAt = now;
    await sleep(20);
  }
  await blocking;
  // The block's end, as the server saw it: its answer left when the loop turned again.
  const blockEnd = blockedAt + blockMs;
  return {
    maxStallMs,
    blockMs,
    failsAfterMs: failedAt === undefined ? null : Math.round(failedAt - blockedAt),
    passesAfterEndMs: passedAt === undefined ? null : Math.round(passedAt - blockEnd),
  };
}
