import { connect, isIP } from 'node:net';
import { messages } from '../core/health.messages.js';
import type { CheckResult } from '../interfaces/health-check.interface.js';
import { BuiltInIndicator } from './support/built-in.indicator.js';
import { settingKeysOf } from './support/setting.rules.js';

/** Settings of `TcpHealthIndicator`. */
export interface TcpIndicatorSettings {
  /** The host name or IP address to connect to. Required. */
  host: string;
  /** The TCP port, 1 to 65535. Required. */
  port: number;
}

/** A TCP dependency: passes when a connection opens; it is closed at once, nothing is sent. */
export class TcpHealthIndicator extends BuiltInIndicator<TcpIndicatorSettings> {
  static override readonly defaults = { name: 'tcp', componentType: 'component' };
  static override readonly settingKeys = settingKeysOf<TcpIndicatorSettings>('host', 'port');

  protected override validate(settings: TcpIndicatorSettings): void {
    const bad = (setting: string, got: unknown, valid: string) =>
      new Error(messages.badSetting(this.constructor.name, setting, got, valid));
    const { host, port } = settings;
    // A URL or "host:port" here would only fail later, as a DNS error on every check.
    if (typeof host !== 'string' || !host || (isIP(host) === 0 && /[/:@\s]/.test(host))) {
      throw bad('host', host, 'a host name or an IP address, without scheme or port');
    }
    if (!(Number.isInteger(port) && port >= 1 && port <= 65535)) {
      throw bad('port', port, 'an integer from 1 to 65535');
    }
  }

  async check(signal: AbortSignal): Promise<CheckResult> {
    signal.throwIfAborted();
    const { host, port } = this.settings;
    const address = await new Promise<string | undefined>((resolve, reject) => {
      const socket = connect({ host, port });
      let settled = false;
      const finish = (error?: unknown) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        const remote = socket.remoteAddress;
        socket.destroy();
        if (error === undefined) resolve(remote);
        else reject(error);
      };
      const onAbort = () => finish(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      socket.once('connect', () => finish());
      // Kept after settling: an error with no listener would crash the process.
      socket.on('error', finish);
    });
    return { details: { host, port, address } };
  }
}
