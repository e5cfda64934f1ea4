import { Injectable, type Type } from '@nestjs/common';
import { HealthIndicator, type HealthIndicatorOptions } from '../../lib/index.js';

/** What a test indicator does when it is checked. */
export type Behaviour = (signal: AbortSignal) => unknown;

/** A test indicator class: its behaviour can be swapped, and it counts its runs. */
export interface TestIndicator {
  runs: number;
  lastSignal?: AbortSignal;
  behaviour: Behaviour;
  check(signal: AbortSignal): unknown;
}

/** Declares a decorated indicator class, as a user would write one. */
export function defineIndicator(
  options: HealthIndicatorOptions,
  behaviour: Behaviour = () => undefined,
): Type<TestIndicator> {
  @HealthIndicator(options)
  @Injectable()
  class Indicator implements TestIndicator {
    runs = 0;
    lastSignal?: AbortSignal;
    behaviour = behaviour;
    check(signal: AbortSignal) {
      this.runs++;
      this.lastSignal = signal;
      return this.behaviour(signal);
    }
  }
  const className = `${options.name.replace(/(^|[-_.])(\w)/g, (_, __, c: string) => c.toUpperCase())}Health`;
  Object.defineProperty(Indicator, 'name', { value: className });
  return Indicator;
}

/** A promise that settles after `ms`, or rejects when the signal aborts. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}

/** Never settles, like a dependency that accepts a connection and never answers. */
export const hang: Behaviour = () => new Promise(() => undefined);
