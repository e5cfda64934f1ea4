import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/**
 * MockupDB, MongoDB's own wire-protocol test server (Debian's python3-mockupdb), started by a
 * test on a free loopback port: the real Node driver speaks real OP_MSG to it over real sockets,
 * and the test decides what it answers. Not a mongod: no replica set, no elections, no
 * authentication.
 */

/** Debian's interpreter, the one python3-mockupdb is installed for (`describeWithBinary()`). */
const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./mockupdb-server.py', import.meta.url));

/** What the server does with a command: answer `{ ok: 1 }`, `{ ok: 0, errmsg }`, or nothing. */
export type Answer = 'pass' | { error: string } | 'hang';

/** A MockupDB of the test's own, and how to drive and stop it (only it). */
export interface MockupDb {
  port: number;
  /** `mongodb://127.0.0.1:<port>/` with a direct connection, or to another port (a proxy's). */
  uri(port?: number): string;
  /** From now on, answers `command` so (`ping`, or any other command name). */
  answer(command: string, answer: Answer): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a MockupDB on a free loopback port; resolves once it listens. */
export async function startMockupDb(): Promise<MockupDb> {
  const child: ChildProcess = spawn(PYTHON, [SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (what: string): Promise<string> => {
    const line = await lines.next();
    if (line.done) throw new Error(`MockupDB exited (code ${child.exitCode}) before ${what}`);
    return line.value as string;
  };
  const first = await next('saying its port');
  const port = Number(/^port (\d+)$/.exec(first)?.[1]);
  if (!port) throw new Error(`MockupDB said "${first}", not its port`);
  // One order at a time: each waits for the "ok" of its own.
  let orders = Promise.resolve();
  return {
    port,
    uri: (to = port) => `mongodb://127.0.0.1:${to}/?directConnection=true`,
    answer(command, answer) {
      const words =
        typeof answer === 'string' ? `${command} ${answer}` : `${command} error ${answer.error}`;
      const order = orders.then(async () => {
        child.stdin!.write(`${words}\n`);
        const ack = await next(`answering "${words}"`);
        if (ack !== 'ok') throw new Error(`MockupDB answered "${ack}" to "${words}"`);
      });
      orders = order.catch(() => undefined);
      return order;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin!.end('stop\n');
      await exited;
    },
  };
}
