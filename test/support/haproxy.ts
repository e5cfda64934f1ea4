import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type OwnServer } from './servers.js';
import { sleep } from './wait.js';

/**
 * HAProxy (Debian package haproxy), an instance of the test's own on a free port, in front of
 * servers on the loopback, with active HTTP checks of their readiness. Configured so that it
 * cannot hide a failure: no retry (`retries 0`), no redispatch to another server, so a request
 * sent to an instance that cannot answer fails at the client.
 */

export interface HaproxyOptions {
  /** Each server's name and port. */
  servers: readonly { name: string; port: number }[];
  /** The check's path. */
  check: string;
  /** Between two checks of a server, in ms. */
  interMs: number;
  /** Failed checks in a row that take a server out of rotation. */
  fall: number;
  /** Passed checks in a row that bring it back. */
  rise: number;
}

export interface Haproxy extends OwnServer {
  /** Each server's state as HAProxy's runtime API tells it: `UP`, `DOWN`, `UP 1/2`... */
  states(): Promise<Record<string, string>>;
  /** What HAProxy wrote (warnings, alerts). */
  output(): string;
}

function config(options: HaproxyOptions, port: number, socket: string): string {
  const { servers, check, interMs, fall, rise } = options;
  return `global
  maxconn 512
  stats socket ${socket} mode 600 level admin

defaults
  mode http
  timeout connect 1s
  timeout client 10s
  timeout server 10s
  timeout check 1s
  # A request that fails is not tried again, on this server or another.
  retries 0

frontend web
  bind 127.0.0.1:${port}
  default_backend app

backend app
  balance roundrobin
  option httpchk
  http-check send meth GET uri ${check}
  http-check expect status 200
  default-server check inter ${interMs} fall ${fall} rise ${rise}
${servers.map(({ name, port: p }) => `  server ${name} 127.0.0.1:${p}`).join('\n')}
`;
}

/** Asks HAProxy's runtime API (its stats socket) a command; resolves with its answer. */
function ask(socket: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const client = connect(socket);
    let answer = '';
    client.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    client.on('end', () => resolve(answer));
    client.on('error', reject);
    client.end(`${command}\n`);
  });
}

export async function startHaproxy(options: HaproxyOptions): Promise<Haproxy> {
  const dir = mkdtempSync(join(tmpdir(), 'nestjs-probes-haproxy-'));
  const socket = join(dir, 'admin.sock');
  const file = join(dir, 'haproxy.cfg');
  const port = await freePort();
  writeFileSync(file, config(options, port, socket));
  const child = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit');
  const states = async () => {
    const csv = (await ask(socket, 'show stat')).trim().split('\n');
    const columns = csv[0]!.replace(/^# /, '').split(',');
    const [proxy, server, status] = ['pxname', 'svname', 'status'].map((c) => columns.indexOf(c));
    const rows = csv.slice(1).map((line) => line.split(','));
    const own = rows.filter((row) => row[proxy!] === 'app' && row[server!] !== 'BACKEND');
    return Object.fromEntries(own.map((row) => [row[server!]!, row[status!]!]));
  };
  const deadline = Date.now() + 5000;
  while (
    !(await states().then(
      () => true,
      () => false,
    ))
  ) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`haproxy did not start:\n${output}`);
    }
    await sleep(20);
  }
  return {
    port,
    states,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
