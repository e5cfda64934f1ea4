import { ModulesContainer, Reflector } from '@nestjs/core';
import { messages } from '../../core/health.messages.js';
import type { HandleLookup } from './handle.registration.js';
import { isInstalled } from '../../core/peers.js';

// What `@nestjs/bullmq` does that the BullMQ indicator needs, done the same way, so that the
// library never loads the package: the token of a queue, and the workers of its processors.

/** The metadata key of `@Processor()` in `@nestjs/bullmq`, whose classes are the queue's workers. */
const PROCESSOR_METADATA = 'bullmq:processor_metadata';
const reflector = new Reflector();

/** A BullMQ `Worker`, as far as telling one from anything else goes. */
interface BullWorkerState {
  isRunning(): boolean;
}

/**
 * @internal How `register()` finds a queue by its name (`BullModule.registerQueue({ name })`),
 * and the workers of its `@Processor()` classes.
 */
export function queueLookup(indicator: string, queue: unknown): HandleLookup {
  if (typeof queue !== 'string' || queue === '') {
    const valid = 'the name of a queue, as registered with BullModule.registerQueue({ name })';
    throw new Error(messages.badSetting(indicator, 'queue', queue, valid));
  }
  const token = queueToken(indicator, queue);
  return {
    key: 'queue',
    token,
    missing: (label) =>
      messages.handleMissing(
        label,
        `BullMQ queue "${queue}"`,
        token,
        `Register it with BullModule.registerQueue({ name: '${queue}' }) in this module or in a module it imports.`,
      ),
    inject: [ModulesContainer],
    settings: (found, modules) => ({
      queue: found,
      workers: () => processorWorkers(modules as ModulesContainer, queue),
    }),
  };
}

/** The DI token of a queue, as `getQueueToken(name)` of `@nestjs/bullmq` makes it. */
function queueToken(indicator: string, queue: string): string {
  if (!isInstalled('@nestjs/bullmq')) {
    throw new Error(messages.peerMissing(indicator, '@nestjs/bullmq'));
  }
  return `BullQueue_${queue}`;
}

/**
 * @internal The workers of `@Processor(queue)` classes (`WorkerHost`), as `@nestjs/bullmq`
 * creates them.
 */
export function processorWorkers(modules: ModulesContainer, queue: string): BullWorkerState[] {
  const workers: BullWorkerState[] = [];
  for (const module of modules.values()) {
    for (const wrapper of module.providers.values()) {
      const instance = wrapper.instance as { worker?: BullWorkerState } | undefined;
      const type = instance?.constructor;
      if (!type || !wrapper.isDependencyTreeStatic()) continue;
      const metadata = reflector.get<{ name?: string } | undefined>(PROCESSOR_METADATA, type);
      if (metadata?.name !== queue) continue;
      try {
        workers.push(instance!.worker!);
      } catch {
        // Not created yet (before onModuleInit, or manualRegistration): nothing to judge.
      }
    }
  }
  return workers.filter((worker) => typeof worker?.isRunning === 'function');
}
