import { connect, type Socket } from 'node:net';
import { messages } from '../../core/health.messages.js';
import type { WatchedListener } from './probe-server.protocol.js';

/** How often each listener is tried. */
const EVERY_MS = 1000;
/** A connection not accepted within this is a full backlog, a busy server: not a broken one. */
const GIVE_UP_MS = 1000;

/** Where a listener can be reached from this process: a wildcard address is every local one. */
function target(listener: WatchedListener): { host: string; port: number } | { path: string } {
  if ('path' in listener) return { path: listener.path };
  const { host, port } = listener;
  if (host === '::' || host === '') return { host: '::1', port };
  return { host: host === '0.0.0.0' ? '127.0.0.1' : host, port };
}

function where(listener: WatchedListener): string {
  if ('path' in listener) return listener.path;
  return `${listener.host.includes(':') ? `[${listener.host}]` : listener.host}:${listener.port}`;
}

/**
 * @internal Whether the application's listeners accept connections, tried from the probe server's
 * worker: the kernel accepts a connection for a listening socket however busy its event loop is,
 * so only a listener that is gone (refused) counts as down; one that does not answer in time is
 * busy, and changes nothing.
 */
export class ListenerCheck {
  private listeners: readonly WatchedListener[] = [];
  private readonly refused = new Map<WatchedListener, string>();
  private timer?: NodeJS.Timeout;
  /** Why a listener is down (the first found), or `undefined` while each accepts connections. */
  down: string | undefined;

  /** Watches these from now on (none: stops). */
  watch(listeners: readonly WatchedListener[]): void {
    this.listeners = listeners;
    this.refused.clear();
    this.down = undefined;
    clearInterval(this.timer);
    if (listeners.length === 0) return;
    this.timer = setInterval(() => this.tryAll(), EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    this.watch([]);
  }

  private tryAll(): void {
    for (const listener of this.listeners) this.try(listener);
  }

  private try(listener: WatchedListener): void {
    const socket: Socket = connect(target(listener));
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
    };
    const timer = setTimeout(done, GIVE_UP_MS);
    socket.once('connect', () => {
      this.refused.delete(listener);
      this.down = this.refused.values().next().value;
      done();
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED' || error.code === 'ENOENT') {
        this.refused.set(listener, messages.listenerRefuses(listener.kind, where(listener)));
        this.down = this.refused.values().next().value;
      }
      done();
    });
  }
}
