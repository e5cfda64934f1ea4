import { Inject, Injectable, type LoggerService, type OnModuleDestroy } from '@nestjs/common';
import { DiscoveryService, ModulesContainer } from '@nestjs/core';
import { HEALTH_LOGGER, RESOLVED_HEALTH_OPTIONS } from '../core/health.constants.js';
import { messages } from '../core/health.messages.js';
import type { IndicatorSource, SourcedIndicator } from '../core/indicator.source.js';
import type { ResolvedAutoIndicators, ResolvedHealthOptions } from '../core/resolved-options.js';
import { autoIndicator, type AutoIndicator } from './auto.indicator.js';
import { checkNames, tokenText } from './check.names.js';
import { scanClients, type FoundClient, type Provided, type Scan } from './client.scanner.js';
import { DISCOVERABLE } from './discoverable.js';
import { assertNamed, describePlacement, placementOf } from './placement.js';

/** `TypeORM DataSource (token DataSource)`: what a client is, and where it was found. */
const described = ({ cls, token }: FoundClient) =>
  `${cls.discovery.kind} (token ${tokenText(token) || String(token)})`;

/**
 * @internal `autoIndicators`: an indicator for every client in the application's providers that
 * a built-in indicator knows and none of the application's indicators checks, made once the
 * providers exist and before any probe selects its checks (the explorer asks). Says in one log
 * line what it found and where each check goes.
 */
@Injectable()
export class AutoIndicators implements IndicatorSource, OnModuleDestroy {
  private readonly made: AutoIndicator[] = [];

  constructor(
    @Inject(RESOLVED_HEALTH_OPTIONS) private readonly options: ResolvedHealthOptions,
    @Inject(HEALTH_LOGGER) private readonly logger: LoggerService,
    private readonly discovery: DiscoveryService,
    private readonly modules: ModulesContainer,
  ) {}

  indicators(declared: ReadonlyMap<string, object>): readonly SourcedIndicator[] {
    const options = this.options.autoIndicators;
    if (!options) return [];
    const scan = scanClients(this.provided(), DISCOVERABLE, declared);
    const names = checkNames(
      scan.found.map(({ cls, client, token }) => ({
        kind: String(cls.defaults.name),
        words: cls.discovery.words,
        token,
        own: cls.discovery.nameOf?.(client),
      })),
      new Set(declared.keys()),
    );
    assertNamed(options, names);
    const sourced: SourcedIndicator[] = [];
    const said: string[] = [];
    const left: string[] = [];
    for (const [i, found] of scan.found.entries()) {
      const made = this.make(found, names[i], options);
      if (typeof made === 'string') {
        left.push(`${names[i]}: ${made}`);
        continue;
      }
      sourced.push(made.sourced);
      said.push(`${names[i]} ← ${described(found)} → ${made.where}`);
    }
    const nameOf = new Map(scan.found.map((found, i) => [found, `"${names[i]}"`]));
    left.push(...this.leftAlone(scan, nameOf));
    this.logger.log(messages.autoIndicatorsFound(said, left));
    return sourced;
  }

  /** Lets go of what the checks hold (listeners, a channel of their own). */
  onModuleDestroy(): void {
    for (const indicator of this.made.splice(0)) indicator.onModuleDestroy?.();
  }

  /** The check of a found client, or why there is none. */
  private make(found: FoundClient, name: string, options: ResolvedAutoIndicators) {
    const placement = placementOf(options, name);
    if (placement.excluded) return 'excluded';
    try {
      const context = { modules: this.modules };
      const { label, indicator } = autoIndicator(found, name, context);
      this.made.push(indicator);
      const { probes, critical } = placement;
      const decorator = { ...found.cls.defaults, name, probes, critical };
      const sourced: SourcedIndicator = { label, options: decorator, check: indicator };
      return { sourced, where: describePlacement(placement) };
    } catch (error) {
      // What register() would have refused (a package the indicator needs is not installed).
      return (error as Error).message;
    }
  }

  /** The clients found and not checked on their own, and why. */
  private leftAlone(scan: Scan, nameOf: ReadonlyMap<FoundClient, string>): string[] {
    return [
      ...scan.covered.map(({ found, by }) => `${described(found)}: checked by "${by}"`),
      ...scan.held.map(
        ({ found, by }) =>
          `${described(found)}: checked through ${nameOf.get(by) ?? described(by)}`,
      ),
      ...scan.unsupported.map(({ found, why }) => `${described(found)}: ${why}`),
    ];
  }

  /** The singletons of every module, as Nest made them; aliases (`useExisting`) are the same. */
  private *provided(): Iterable<Provided> {
    for (const wrapper of this.discovery.getProviders()) {
      if (wrapper.isAlias || wrapper.isTransient || !wrapper.isDependencyTreeStatic()) continue;
      yield { token: wrapper.token, instance: wrapper.instance };
    }
  }
}
