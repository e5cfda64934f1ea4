#!/usr/bin/env node
/**
 * Generates the Prisma client of the tests (test/fixtures/prisma/schema.prisma -> ./generated), as
 * an application would with `prisma generate`; skipped when the client is newer than its schema
 * and Prisma. Run before the type-check (`pretypecheck`) and by the Prisma suite itself.
 *
 * Prisma 7's client and its generator need no engine binary (the query compiler and the schema
 * parser are WebAssembly, in the npm packages), but the CLI first downloads the schema engine
 * binary (for migrations) from binaries.prisma.sh, which only the npm registry being reachable
 * prevents. PRISMA_SCHEMA_ENGINE_BINARY, Prisma's documented way to bring one's own engine, then
 * points at a stub that fails if it is ever run: `generate` never runs it.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SCHEMA = join(ROOT, 'test/fixtures/prisma/schema.prisma');
const CLIENT = join(ROOT, 'test/fixtures/prisma/generated/client.ts');
const PRISMA = join(ROOT, 'node_modules/prisma/build/index.js');

const mtime = (path) => (existsSync(path) ? statSync(path).mtimeMs : 0);
const inputs = [SCHEMA, join(ROOT, 'node_modules/prisma/package.json')];
if (mtime(CLIENT) > Math.max(...inputs.map(mtime))) process.exit(0);

const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1' };
let stubDir;
if (!env.PRISMA_SCHEMA_ENGINE_BINARY) {
  stubDir = mkdtempSync(join(tmpdir(), 'nestjs-probes-prisma-'));
  const stub = join(stubDir, 'schema-engine');
  writeFileSync(stub, '#!/bin/sh\necho "the schema engine is not installed here" >&2\nexit 1\n');
  chmodSync(stub, 0o755);
  env.PRISMA_SCHEMA_ENGINE_BINARY = stub;
}
const result = spawnSync(process.execPath, [PRISMA, 'generate', '--schema', SCHEMA], {
  cwd: ROOT,
  env,
  encoding: 'utf8',
});
if (stubDir) rmSync(stubDir, { recursive: true, force: true });
if (result.status !== 0 || !existsSync(CLIENT)) {
  process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}`);
  console.error('prisma generate failed: the Prisma suite cannot run');
  process.exit(1);
}
