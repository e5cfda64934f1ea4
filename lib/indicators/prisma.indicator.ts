import type { CheckResult } from '../interfaces/health-check.interface.js';
import { BuiltInIndicator } from './support/built-in.indicator.js';
import { PendingCall } from './support/client-call.js';
import type { Discovery } from './support/discovery.js';
import { hasMethod, settingKeysOf } from './support/setting.rules.js';
import {
  answered,
  assertSqlSettings,
  statementOf,
  type SqlStatementSetting,
} from './support/sql-statement.js';

/*
 * The Prisma type is declared here, as far as the indicator uses it: `@prisma/client` is an
 * optional peer (and each application generates its own client), so the library imports nothing
 * from it, not even types.
 */

/** A Prisma client (`new PrismaClient({ adapter })`), or a `PrismaService` extending it. */
export interface PrismaClientLike {
  $queryRawUnsafe(query: string): PromiseLike<unknown>;
}

/** Settings of `PrismaHealthIndicator`. */
export interface PrismaIndicatorSettings extends SqlStatementSetting {
  /**
   * The application's Prisma client: the indicator opens no connection of its own. Required (with
   * `register()`, the injection token it is provided under, such as your `PrismaService`).
   */
  client: PrismaClientLike;
}

/**
 * The reason, out of Prisma's wrapping: its errors begin with lines that say where the call was
 * made ("Invalid `prisma.$queryRawUnsafe()` invocation:"), and end with what went wrong.
 */
function reason(error: unknown): unknown {
  const message = (error as { message?: unknown } | null)?.message;
  if (typeof message !== 'string' || !message.trim().includes('\n')) return error;
  const name = (error as { name?: unknown }).name;
  const failure = new Error(message.trim().split('\n').at(-1)!.trim());
  if (typeof name === 'string') failure.name = name;
  return failure;
}

/**
 * A Prisma client on a SQL database: passes when `SELECT 1` answers, through the client's own
 * connections (its driver adapter's pool). Prisma cannot cancel a query: one given up on at the
 * timeout runs on, and the next runs wait for it rather than queue more behind it.
 */
export class PrismaHealthIndicator extends BuiltInIndicator<PrismaIndicatorSettings> {
  static override readonly defaults = { name: 'prisma', componentType: 'datastore' };
  static override readonly settingKeys = settingKeysOf<PrismaIndicatorSettings>('client', 'query');
  static override readonly peer: string = '@prisma/client';
  /**
   * @internal Recognised, and left to `register()`: a Prisma client keeps whether it is
   * connected to itself (Prisma 7: private fields), and its first query connects it.
   */
  static override readonly discovery: Discovery<PrismaClientLike> = {
    kind: 'Prisma client',
    words: ['prisma'],
    recognises: (value): value is PrismaClientLike =>
      ['$queryRawUnsafe', '$connect', '$disconnect', '$transaction'].every((method) =>
        hasMethod(value, method),
      ),
    unsupported: () =>
      'a Prisma client does not say whether it is connected, and its first query would connect it: register PrismaHealthIndicator for it',
  };

  /** Prisma cannot cancel a query: the one still running is waited for. */
  private readonly rawQuery = new PendingCall<unknown>();

  protected override validate(settings: PrismaIndicatorSettings): void {
    const expected = 'a Prisma client (PrismaClient)';
    assertSqlSettings(this.constructor.name, settings, ['$queryRawUnsafe'], expected);
  }

  async check(signal: AbortSignal): Promise<CheckResult> {
    const { client } = this.settings;
    const query = statementOf(this.settings);
    const answer = this.rawQuery.join(() => client.$queryRawUnsafe(query), signal);
    return answered(query, answer, reason);
  }
}
