import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { nestUnderTest } from './nest-release.js';

/**
 * The built sample in a child process of its own, as a user (or a pod) runs it.
 */

const MAIN = fileURLToPath(new URL('../../dist-sample/main.js', import.meta.url));
/** What the sample's `import ... from 'nestjs-probes'` resolves to. */
const LIBRARY = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

export interface Sample {
  child: ChildProcess;
  urls: Record<'live' | 'ready' | 'startup' | 'deep' | 'faults' | 'orders', string>;
  /** The probe server's (a worker thread on a port of its own). */
  probes: Record<'live' | 'ready' | 'startup' | 'deep', string>;
  /** `127.0.0.1:<port>` of the gRPC server, when the sample was started with GRPC_PORT. */
  grpc?: string;
  /** `127.0.0.1:<port>` of the probe server's gRPC port, when started with PROBE_GRPC_PORT. */
  probesGrpc?: string;
  output: () => string;
  /** Every line the process printed, with when it arrived. */
  lines: { at: number; text: string }[];
  /** How and when the process ended. */
  exited: Promise<{ at: number; code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the built sample and resolves once it has printed its URLs. */
export function startSample(env: Record<string, string>): Promise<Sample> {
  for (const built of [MAIN, LIBRARY]) {
    if (!existsSync(built)) {
      throw new Error(
        `${built} does not exist: run \`npm run build && npm run build:sample\` first (npm test does both)`,
      );
    }
  }
  const childEnv: NodeJS.ProcessEnv = { ...process.env, PORT: '0', PROBE_PORT: '0' };
  // Whatever the developer's shell exports must not change what is tested.
  for (const name of [
    'FAIL',
    'HEALTH_PATH',
    'APP_VERSION',
    'RELEASE_ID',
    'WARMUP_MS',
    'SHUTDOWN_DELAY_MS',
    'SHUTDOWN_HOOKS',
    'KUBERNETES_SERVICE_HOST',
    'MAX_STALL_MS',
    'GRPC_PORT',
    'PROBE_GRPC_PORT',
  ]) {
    delete childEnv[name];
  }
  const child = spawn(process.execPath, [...nestUnderTest(), MAIN], {
    env: { ...childEnv, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const lines: Sample['lines'] = [];
  const exited: Sample['exited'] = new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve({ at: Date.now(), code, signal })),
  );
  const output = () => `stdout:\n${stdout}\nstderr:\n${stderr}`;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the sample printed no URLs within 10 s\n${output()}`));
    }, 10_000);
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const at = Date.now();
      for (const text of chunk.toString().split('\n')) if (text) lines.push({ at, text });
      const found = stdout.match(/http:\/\/localhost:\d+\/\S*/g) ?? [];
      const url = (suffix: string) => found.find((candidate) => candidate.endsWith(suffix));
      // The app's port is printed first, the probe server's second.
      const probe = (suffix: string) => found.filter((candidate) => candidate.endsWith(suffix))[1];
      const probes = {
        live: probe('/live'),
        ready: probe('/ready'),
        startup: probe('/startup'),
        deep: probe('/deep'),
      };
      const urls = {
        live: url('/live'),
        ready: url('/ready'),
        startup: url('/startup'),
        deep: url('/deep'),
        faults: url('/admin/faults'),
        orders: url('/orders'),
      };
      const grpcPort = /grpc:\/\/localhost:(\d+)/.exec(stdout)?.[1];
      const grpc = grpcPort && `127.0.0.1:${grpcPort}`;
      const probesGrpcPort = /Probe server, gRPC[^\n]*\n\s+localhost:(\d+)/.exec(stdout)?.[1];
      const probesGrpc = probesGrpcPort && `127.0.0.1:${probesGrpcPort}`;
      const complete =
        (env.GRPC_PORT === undefined || grpc !== undefined) &&
        (env.PROBE_GRPC_PORT === undefined || probesGrpc !== undefined);
      if (complete && [...Object.values(urls), ...Object.values(probes)].every((value) => value)) {
        clearTimeout(timer);
        resolve({
          child,
          urls: urls as Sample['urls'],
          probes: probes as Sample['probes'],
          grpc,
          probesGrpc,
          output,
          lines,
          exited,
        });
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the sample exited (code ${code}, signal ${signal}) at start\n${output()}`));
    });
  });
}

export function running(sample: Sample | undefined): sample is Sample {
  return sample !== undefined && sample.child.exitCode === null && sample.child.signalCode === null;
}

/** SIGTERM, as the kubelet sends it; resolves with how the process ended. */
export async function stopSample(sample: Sample | undefined): Promise<string | undefined> {
  if (!running(sample)) return undefined;
  const { child } = sample;
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(signal ?? `code ${code}`);
    });
    child.kill('SIGTERM');
  });
}
