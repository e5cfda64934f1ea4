import { describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { SignalOwnership, type SignalProcess } from './signal.owners.js';

/** A process of its own: signals are events emitted on it, exit() is counted. */
function fakeProcess() {
  const emitter = new EventEmitter() as EventEmitter & { exits: number; exit(): void };
  emitter.exits = 0;
  emitter.exit = () => void emitter.exits++;
  return emitter;
}

/** An application's ownership of SIGTERM, recording what it heard. */
function owner(target: ReturnType<typeof fakeProcess>) {
  const heard: string[] = [];
  const ownership = new SignalOwnership(
    (signal, again) => heard.push(again ? `again ${signal}` : signal),
    target as unknown as SignalProcess,
  );
  ownership.subscribe(['SIGTERM']);
  return { ownership, heard };
}

/** Nest's signal handler (enableShutdownHooks()), which removes itself once it has closed its app. */
const nestHandler = () => undefined;

describe('SignalOwnership', () => {
  it('hears the first signal, and each later one as a new request', () => {
    const target = fakeProcess();
    const { heard } = owner(target);
    target.emit('SIGTERM', 'SIGTERM');
    target.emit('SIGTERM', 'SIGTERM');
    expect(heard).toEqual(['SIGTERM', 'again SIGTERM']);
  });

  it('does not take the signal Nest raises again, once it has closed an application, for a new one', () => {
    const target = fakeProcess();
    target.on('SIGTERM', nestHandler);
    const { heard } = owner(target);
    target.emit('SIGTERM', 'SIGTERM');
    target.removeListener('SIGTERM', nestHandler);
    target.emit('SIGTERM', 'SIGTERM');
    expect(heard).toEqual(['SIGTERM']);
    target.emit('SIGTERM', 'SIGTERM');
    expect(heard).toEqual(['SIGTERM', 'again SIGTERM']);
  });

  it('exits once the last application owning the signal has closed, not before', () => {
    const target = fakeProcess();
    const [a, b] = [owner(target), owner(target)];
    target.emit('SIGTERM', 'SIGTERM');
    a.ownership.closed('done');
    expect(target.exits).toBe(0);
    b.ownership.closed('done');
    expect(target.exits).toBe(1);
  });

  it('waits until Nest has let go of an application it closed (its last hooks have run)', () => {
    const target = fakeProcess();
    target.on('SIGTERM', nestHandler);
    const { ownership } = owner(target);
    target.emit('SIGTERM', 'SIGTERM');
    ownership.closed('nest');
    expect(target.exits).toBe(0);
    target.removeListener('SIGTERM', nestHandler);
    target.emit('SIGTERM', 'SIGTERM');
    expect(target.exits).toBe(1);
  });

  it('tells whether anything but the applications listens to a signal', () => {
    const target = fakeProcess();
    const { ownership } = owner(target);
    expect(ownership.othersListen('SIGTERM')).toBe(false);
    target.on('SIGTERM', nestHandler);
    expect(ownership.othersListen('SIGTERM')).toBe(true);
  });
});
