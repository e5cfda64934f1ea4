import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The release of NestJS the processes a suite starts run on: the main install's, or the one
 * scripts/test-nest11.mjs installed (NESTJS_PROBES_NEST_DIR), loaded through a resolve hook.
 */
const HOOKS = fileURLToPath(new URL('../../scripts/nest-release.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Node's arguments for a child process that runs the NestJS under test. */
export function nestUnderTest(): string[] {
  return process.env.NESTJS_PROBES_NEST_DIR ? ['--import', HOOKS] : [];
}

/** The version of `@nestjs/core` under test, as the child processes load it. */
export function nestRelease(): string {
  const dir = process.env.NESTJS_PROBES_NEST_DIR ?? ROOT;
  const manifest = join(dir, 'node_modules/@nestjs/core/package.json');
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}
