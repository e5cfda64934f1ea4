import { describe, expect, it } from '@jest/globals';
import { ModulesContainer } from '@nestjs/core';
import { NestInternals, rpcServerRegistry } from './nest.internals.js';

class Adapter {
  beforeClose(): string {
    return 'original';
  }
}

describe('NestInternals', () => {
  it('replaces a method on one instance only, and puts it back when the application closes', () => {
    const internals = new NestInternals(new ModulesContainer());
    const [mine, other] = [new Adapter(), new Adapter()];
    internals.replace(mine, 'beforeClose', (original) => () => `held, then ${original.call(mine)}`);
    expect([mine.beforeClose(), other.beforeClose()]).toEqual(['held, then original', 'original']);
    internals.onApplicationShutdown();
    expect(mine.beforeClose()).toBe('original');
    // The prototype's method again, not a copy of it on the instance.
    expect(Object.hasOwn(mine, 'beforeClose')).toBe(false);
  });

  it('leaves a replacement made after its own in place', () => {
    const internals = new NestInternals(new ModulesContainer());
    const adapter = new Adapter();
    internals.replace(adapter, 'beforeClose', () => () => 'ours');
    adapter.beforeClose = () => 'someone else’s';
    internals.restore();
    expect(adapter.beforeClose()).toBe('someone else’s');
  });
});

describe('rpcServerRegistry', () => {
  it('reads the registry of microservice servers, undefined where @nestjs/core has none', () => {
    expect(typeof rpcServerRegistry(new ModulesContainer())?.subscribe).toBe('function');
    expect(rpcServerRegistry({} as ModulesContainer)).toBeUndefined();
  });
});
