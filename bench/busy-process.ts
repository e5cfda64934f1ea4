/**
 * What the probe server's scenarios share: a `busy-server.js` in a process of its own, started
 * and stopped, and the percentiles of latencies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
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
