#!/usr/bin/env node
/**
 * Proves the package as published works in real applications:
 *   1. builds and packs it (`npm pack`) into a temp dir;
 *   2. checks the tarball holds only what users need, and what the README needs: every page it
 *      links to (docs/ and the others; every relative link of every page shipped resolves in the
 *      tarball), and the repository, homepage and bugs addresses of package.json;
 *   3. checks the published declarations import no optional peer dependency;
 *   4. installs the tarball in a fresh ESM app on Nest 12 and in a fresh CommonJS app on Nest 11
 *      (which loads it with `require()`), the latter beside the libraries of the previous
 *      generation (TypeORM 0.3, mongodb 6, BullMQ 5...: their peers must leave our optional peer
 *      ranges a version, or npm refuses the install), boots each with HealthModule.forRoot() and an indicator,
 *      probes /health/live, /health/ready and /health/deep, calls the gRPC health service (Check,
 *      with grpc-js on the shipped proto) of its gRPC microservice, then shuts it down with SIGTERM;
 *   5. type-checks a consumer of the declarations (skipLibCheck off) in the Nest 12 app.
 * It runs on a Node.js of package.json's "engines" only (.ci/run runs it on the floor of each of
 * its ranges), and fails on any warning the CommonJS app prints about require(esm).
 * Prints progress, exits non-zero on any failure, removes its temp dirs.
 *
 * Usage: node scripts/check-pack.mjs [--keep] [--skip-build] [--only=esm|cjs]
 * Env:   NEST11_PEER_FLAGS   extra npm flags for the Nest 11 app (default: --legacy-peer-deps while
 *                            the peer range does not accept Nest 11; empty once it does).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  SHIPPED_DOCS,
  checkAddresses,
  checkDocumentation,
  satisfiesEngines,
} from './check-pack-manifest.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const KEEP = args.has('--keep');
const SKIP_BUILD = args.has('--skip-build');
const ONLY = [...args].find((a) => a.startsWith('--only='))?.slice('--only='.length);
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const INSTALL_FLAGS = [
  'install',
  '--no-audit',
  '--no-fund',
  '--prefer-offline',
  '--loglevel=error',
];

/** Optional peers: the published declarations must not make users install any of them. */
const OPTIONAL_PEERS = [
  'pg',
  'mysql2',
  'ioredis',
  'redis',
  '@redis/client',
  'amqplib',
  'nats',
  'mqtt',
  'knex',
  'bullmq',
  '@nestjs/bullmq',
  'memjs',
  '@nestjs/microservices',
  '@grpc/grpc-js',
  '@grpc/proto-loader',
  'grpc-health-check',
  '@nats-io/transport-node',
  'amqp-connection-manager',
  'prom-client',
  '@opentelemetry/api',
  '@opentelemetry/sdk-metrics',
  '@opentelemetry/exporter-prometheus',
  '@nestjs/terminus',
  '@nestjs/swagger',
  '@nestjs/platform-fastify',
  '@nestjs/platform-express',
  'typeorm',
  '@nestjs/typeorm',
  'sequelize',
  'sequelize-typescript',
  '@nestjs/sequelize',
  '@mikro-orm/core',
  '@mikro-orm/nestjs',
  'mongodb',
  'mongoose',
  '@nestjs/mongoose',
  '@prisma/client',
  '@prisma/adapter-pg',
  'prisma',
  'drizzle-orm',
];

const started = Date.now();
const failures = [];
const summary = [];
const temps = [];

const kb = (n) => `${(n / 1024).toFixed(1)} kB`;
const elapsed = (since = started) => `${((Date.now() - since) / 1000).toFixed(1)}s`;
const log = (message) => console.log(`[check-pack ${elapsed()}] ${message}`);
const fail = (message) => {
  failures.push(message);
  console.error(`[check-pack ${elapsed()}] FAIL ${message}`);
};

function tempDir(name) {
  const dir = mkdtempSync(join(tmpdir(), `nestjs-probes-${name}-`));
  temps.push(dir);
  return dir;
}

function cleanUp() {
  for (const dir of temps.splice(0)) {
    if (KEEP) log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a command; resolves with its output, rejects with it (and the tail of its output). */
function run(command, commandArgs, { cwd = ROOT, timeoutMs = 300_000, env, quiet = true } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, commandArgs, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (!quiet) process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (!quiet) process.stderr.write(chunk);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      stderr += `\n(killed after ${timeoutMs} ms)`;
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolvePromise({ stdout, stderr });
      const tail = `${stdout}\n${stderr}`.trim().split('\n').slice(-40).join('\n');
      const what = `${command} ${commandArgs.join(' ')}`;
      reject(new Error(`\`${what}\` (in ${cwd}) exited with ${code ?? signal}:\n${tail}`));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// 1. Build and pack

async function pack() {
  if (!SKIP_BUILD) {
    log('npm run build');
    await run(NPM, ['run', 'build', '--silent']);
  }
  const dir = tempDir('pack');
  log('npm pack');
  const { stdout } = await run(NPM, ['pack', '--json', '--pack-destination', dir]);
  // npm may print lifecycle output before the JSON: take the array.
  const [info] = JSON.parse(stdout.slice(stdout.indexOf('[')));
  const tarball = join(dir, info.filename);
  if (!existsSync(tarball)) throw new Error(`npm pack reported ${tarball}, which does not exist`);
  log(
    `packed ${info.filename}: ${info.entryCount} files, ${kb(info.size)} (${kb(info.unpackedSize)} unpacked)`,
  );
  summary.push(
    `tarball: ${info.filename}, ${info.entryCount} files, ${kb(info.size)} packed, ${kb(info.unpackedSize)} unpacked`,
  );
  return { tarball, files: info.files.map((file) => file.path), info };
}

// ---------------------------------------------------------------------------------------------
// 2. Contents

function checkContents(files) {
  log('checking the tarball contents');
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const allowed = [
    /^package\.json$/,
    /^README\.md$/,
    /^LICENSE(\.md|\.txt)?$/,
    /^CHANGELOG\.md$/,
    /^dist\/.+\.js$/,
    /^dist\/.+\.d\.ts$/,
    // Source maps are shipped only when self-contained (checked below).
    /^dist\/.+\.js\.map$/,
    /^dist\/.+\.d\.ts\.map$/,
    // The gRPC health service's proto (HEALTH_PROTO_PATH).
    /^dist\/transports\/grpc\/health\.proto$/,
    // The alerting rules (docs/operators.md#alerting-rules).
    /^prometheus\/nestjs-probes\.rules\.yml$/,
  ];
  const forbidden = [
    [/(^|\/)[^/]*\.(spec|e2e-spec|test)\.[^/]*$/, 'a test file'],
    [
      /^(lib|test|sample|bench|scripts|\.ci|coverage|dist-sample|dist-bench|node_modules)\//,
      'a folder users do not need',
    ],
    [/\.tsbuildinfo$/, 'a build cache'],
    [/\.tgz$/, 'a tarball'],
  ];
  for (const file of files) {
    if (SHIPPED_DOCS.some((pattern) => pattern.test(file))) continue;
    const bad = forbidden.find(([pattern]) => pattern.test(file));
    if (bad) fail(`tarball contains ${file}: ${bad[1]}`);
    else if (!allowed.some((pattern) => pattern.test(file)))
      fail(`tarball contains ${file}, which users do not need`);
  }
  for (const file of [
    'package.json',
    'README.md',
    'dist/index.js',
    'dist/index.d.ts',
    'dist/transports/grpc/health.proto',
    'CHANGELOG.md',
  ]) {
    if (!files.includes(file)) fail(`tarball lacks ${file}`);
  }
  if (existsSync(join(ROOT, 'LICENSE')) && !files.includes('LICENSE'))
    fail('tarball lacks LICENSE');
  if (!existsSync(join(ROOT, 'LICENSE'))) {
    log(
      `warning: package.json says "license": "${manifest.license}" but there is no LICENSE file to ship`,
    );
  }
  // Every target of the exports map, main and types must be in the tarball.
  const targets = new Set([manifest.main, manifest.types]);
  const collect = (value) => {
    if (typeof value === 'string') targets.add(value);
    else if (value && typeof value === 'object') Object.values(value).forEach(collect);
  };
  collect(manifest.exports);
  for (const target of targets) {
    if (!target) continue;
    const path = target.replace(/^\.\//, '');
    if (!files.includes(path))
      fail(`package.json points to ${target}, which is not in the tarball`);
  }
  // Each .js has its declarations (a .js without .d.ts leaves users with `any`).
  for (const file of files.filter((f) => /^dist\/.+\.js$/.test(f))) {
    const dts = file.replace(/\.js$/, '.d.ts');
    if (!files.includes(dts)) fail(`${file} has no ${dts}`);
  }
  const maps = files.filter((f) => f.endsWith('.map'));
  const counts = (re) => files.filter((f) => re.test(f)).length;
  const folders = Object.entries(
    Object.groupBy(
      files.filter((f) => f.includes('/') && !f.startsWith('dist/')),
      (f) => f.split('/')[0],
    ),
  ).map(([folder, inside]) => `${folder}/ (${inside.length})`);
  summary.push(
    `contents: ${[...files.filter((f) => !f.includes('/')), ...folders].join(', ')}, ` +
      `dist: ${counts(/^dist\/.+(?<!\.d\.ts)\.js$/)} .js + ${counts(/^dist\/.+\.d\.ts$/)} .d.ts + ${maps.length} .map`,
  );
  return maps;
}

/**
 * A source map in the tarball is wanted only when it works for users: it must embed its sources
 * (`inlineSources`) or point to sources the tarball holds. Maps pointing to ../lib/*.ts, which is
 * not published, only produce "Failed to parse source map" warnings in bundlers and debuggers.
 */
function checkSourceMaps(packageDir, maps, files) {
  const broken = [];
  for (const map of maps) {
    const json = JSON.parse(readFileSync(join(packageDir, map), 'utf8'));
    const base = dirname(map);
    json.sources.forEach((source, i) => {
      if (json.sourcesContent?.[i] != null) return;
      const target = join(base, json.sourceRoot || '', source).replaceAll('\\', '/');
      if (!files.includes(target)) broken.push(`${map} -> ${target}`);
    });
  }
  if (broken.length > 0) {
    fail(
      `${broken.length} source map(s) point to sources that are not published, e.g. ${broken[0]}.\n` +
        '  Fix: in tsconfig.build.json compilerOptions set "sourceMap": false (ship no maps),\n' +
        '  or "inlineSources": true (self-contained maps).',
    );
  }
}

/** What the README needs in the tarball: the pages it links to, the package's addresses. */
function checkShippedPages(packageDir, files) {
  log('checking the pages the README links to, and the addresses a registry resolves them with');
  const links = checkDocumentation({ root: ROOT, packageDir, files, fail });
  const packed = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  const repo = checkAddresses(packed, fail);
  const pages = files.filter((f) => f.endsWith('.md')).length;
  summary.push(
    `documentation: ${pages} pages, ${links} relative links resolved; repository ${repo}`,
  );
}

// ---------------------------------------------------------------------------------------------
// 3. Declarations

function checkDeclarations(packageDir, files) {
  log('checking the declarations for optional peer imports');
  const specifier =
    /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*|\/\/\/\s*<reference\s+types\s*=\s*)["']([^"']+)["']/g;
  const offenders = [];
  const external = new Set();
  for (const file of files.filter((f) => f.endsWith('.d.ts'))) {
    // Comments out (they quote words like 'reconnecting'), triple-slash references kept.
    const text = readFileSync(join(packageDir, file), 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/(^|[^:/])\/\/(?!\/).*$/gm, '$1');
    for (const match of text.matchAll(specifier)) {
      const name = match[1];
      if (name.startsWith('.')) continue;
      external.add(name);
      const hit = OPTIONAL_PEERS.find((peer) => name === peer || name.startsWith(`${peer}/`));
      if (hit) offenders.push(`${file}: ${name}`);
    }
  }
  if (offenders.length > 0) {
    fail(`declarations import optional peer dependencies:\n  ${offenders.join('\n  ')}`);
  }
  summary.push(`declarations import only: ${[...external].toSorted().join(', ')}`);
}

// ---------------------------------------------------------------------------------------------
// 4. Applications

/** The application, in plain JS with functional decorators; `load` gets the modules. */
const appSource = ({ load, format }) => `${load}
const { Inject, Injectable, Module } = common;
const { NestFactory } = core;
const { HealthModule, HealthIndicator, HealthService } = probes;

const CLOCK = 'CLOCK';
const out = (line) => process.stdout.write(line + '\\n');

class DatabaseHealth {
  constructor(clock) {
    this.clock = clock;
  }
  async check() {
    return { observedValue: this.clock() - this.clock(), observedUnit: 'ms', output: 'reachable' };
  }
}
Injectable()(DatabaseHealth);
Inject(CLOCK)(DatabaseHealth, undefined, 0);
HealthIndicator({ name: 'database', critical: true, timeoutMs: 500 })(DatabaseHealth);

class ShutdownWitness {
  onApplicationShutdown(signal) {
    out('APP_SHUTDOWN_HOOK ' + signal);
  }
}
Injectable()(ShutdownWitness);

class AppModule {}
Module({
  imports: [
    HealthModule.forRoot({ logger: false, grpc: true, shutdown: { delayMs: 0, gracePeriodMs: 10000 } }),
  ],
  providers: [{ provide: CLOCK, useValue: () => Date.now() }, DatabaseHealth, ShutdownWitness],
})(AppModule);

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

const app = await NestFactory.create(AppModule, { logger: ['error'] });
// The shutdown handed over: on SIGTERM the module calls Nest's own app.close() and exits 0.
app.get(HealthService).handleShutdown(app);
// The gRPC health service on a hybrid app, from the proto the tarball ships.
const { Transport } = await import('@nestjs/microservices');
const grpcAddress = '127.0.0.1:' + (await new Promise((resolve) => {
  const server = net.createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    server.close(() => resolve(port));
  });
}));
app.connectMicroservice({
  transport: Transport.GRPC,
  options: { url: grpcAddress, package: probes.HEALTH_GRPC_PACKAGE, protoPath: probes.HEALTH_PROTO_PATH },
});
await app.startAllMicroservices();
await app.listen(0, '127.0.0.1');
const { port } = app.getHttpServer().address();
out('listening on ' + port + ' (${format}, @nestjs/core ' + coreVersion + ')');

async function get(path) {
  const response = await fetch('http://127.0.0.1:' + port + path);
  const body = await response.json();
  out(path + ' ' + response.status + ' ' + JSON.stringify(body));
  return { status: response.status, body, type: response.headers.get('content-type') };
}

const live = await get('/health/live');
expect(live.status === 200 && live.body.status === 'pass', '/health/live: expected 200 pass');
expect(String(live.type).startsWith('application/health+json'), '/health/live: content type ' + live.type);

const ready = await get('/health/ready');
expect(ready.status === 200 && ready.body.status === 'pass', '/health/ready: expected 200 pass');
expect(JSON.stringify(ready.body).includes('database'), '/health/ready: no database check in the body');

const deep = await get('/health/deep');
expect(deep.status === 200 && deep.body.status === 'pass', '/health/deep: expected 200 pass');
const checks = Object.values(deep.body.checks ?? {}).flat();
expect(
  checks.some((c) => c.componentId === 'database' || JSON.stringify(deep.body.checks).includes('database')),
  '/health/deep: no database check',
);

const health = app.get(HealthService);
expect(health && typeof health === 'object', 'HealthService is not injectable');

const grpcJs = await import('@grpc/grpc-js');
const loader = await import('@grpc/proto-loader');
const grpc = grpcJs.default ?? grpcJs;
const definition = (loader.default ?? loader).loadSync(probes.HEALTH_PROTO_PATH, { enums: String });
const { Health } = grpc.loadPackageDefinition(definition).grpc.health.v1;
const client = new Health(grpcAddress, grpc.credentials.createInsecure());
const grpcCheck = (service) =>
  new Promise((resolve) =>
    client.Check({ service }, { deadline: Date.now() + 5000 }, (error, reply) =>
      resolve(error ? grpc.status[error.code] : reply.status),
    ),
  );
for (const [service, expected] of [['', 'SERVING'], ['liveness', 'SERVING'], ['orders', 'NOT_FOUND']]) {
  const answer = await grpcCheck(service);
  out('grpc Check "' + service + '" ' + answer);
  expect(answer === expected, 'grpc Check "' + service + '": expected ' + expected);
}
client.close();

// The proto of the gRPC health service ships next to the code that points to it.
const { existsSync } = await import('node:fs');
expect(existsSync(probes.HEALTH_PROTO_PATH), 'HEALTH_PROTO_PATH ' + probes.HEALTH_PROTO_PATH + ' does not exist');
out('HEALTH_PROTO_PATH ' + probes.HEALTH_PROTO_PATH.replace(/.*node_modules/, 'node_modules'));

out('CHECKS_OK');
// Graceful shutdown on SIGTERM, handed over (handleShutdown): the module closes the app through
// Nest's own close, whose hooks get the signal, and exits 0.
process.kill(process.pid, 'SIGTERM');
`;

const ESM_LOAD = `import 'reflect-metadata';
import net from 'node:net';
import * as common from '@nestjs/common';
import * as core from '@nestjs/core';
import * as probes from 'nestjs-probes';
import { createRequire } from 'node:module';
const coreVersion = createRequire(import.meta.url)('@nestjs/core/package.json').version;`;

const CJS_LOAD = `'use strict';
require('reflect-metadata');
const net = require('node:net');
const common = require('@nestjs/common');
const core = require('@nestjs/core');
const probes = require('nestjs-probes'); // an ES module, through require(esm)
const coreVersion = require('@nestjs/core/package.json').version;
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
async function main() {`;

/** A consumer of the declarations, type-checked with skipLibCheck off. */
const CONSUMER_TS = `import { Injectable, Module } from '@nestjs/common';
import {
  HealthIndicator,
  HealthModule,
  HealthService,
  PostgresHealthIndicator,
  RedisHealthIndicator,
  HEALTH_GRPC_PACKAGE,
  HEALTH_PROTO_PATH,
  type GrpcHealthOptions,
  type CheckResult,
  type HealthCheck,
  type HealthReport,
} from 'nestjs-probes';

@HealthIndicator({ name: 'cache', timeoutMs: 100 })
@Injectable()
export class CacheHealth implements HealthCheck {
  async check(signal: AbortSignal): Promise<CheckResult> {
    return { status: signal.aborted ? 'fail' : 'pass' };
  }
}

@Module({
  imports: [HealthModule.forRoot({ path: 'health', grpc: { maxWatchStreams: 100 } })],
  providers: [CacheHealth],
})
export class AppModule {}

export const grpcServer = { package: HEALTH_GRPC_PACKAGE, protoPath: HEALTH_PROTO_PATH };
export const grpcOptions: GrpcHealthOptions = { maxWatchStreams: 10 };

// @ts-expect-error \`path\` is a string: an error only while forRoot()'s options are typed (not any).
HealthModule.forRoot({ path: 42 });

export type Uses = [HealthService, HealthReport, typeof PostgresHealthIndicator, typeof RedisHealthIndicator];
`;

async function checkApp({
  name,
  format,
  nest,
  tarball,
  extraFlags = [],
  typecheck = false,
  beside = {},
}) {
  const since = Date.now();
  const dir = tempDir(name);
  const esm = format === 'esm';
  const manifest = {
    name: `check-${name}`,
    private: true,
    ...(esm ? { type: 'module' } : {}),
    dependencies: {
      '@nestjs/common': `^${nest}.0.0`,
      '@nestjs/core': `^${nest}.0.0`,
      '@nestjs/platform-express': `^${nest}.0.0`,
      '@nestjs/microservices': `^${nest}.0.0`,
      '@grpc/grpc-js': '^1.8.0',
      '@grpc/proto-loader': '^0.8.0',
      'reflect-metadata': '^0.2.0',
      rxjs: '^7.8.0',
      ...beside,
      'nestjs-probes': `file:${tarball}`,
    },
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const entry = esm ? 'main.mjs' : 'main.cjs';
  const source = appSource({ load: esm ? ESM_LOAD : CJS_LOAD, format: esm ? 'ESM' : 'CommonJS' });
  writeFileSync(join(dir, entry), esm ? source : `${source}}\n`);

  log(`${name}: npm install (Nest ${nest}${extraFlags.length ? `, ${extraFlags.join(' ')}` : ''})`);
  await run(NPM, [...INSTALL_FLAGS, ...extraFlags], { cwd: dir });
  const version = installedVersion(dir, '@nestjs/core');
  log(`${name}: installed @nestjs/core ${version}; node ${entry}`);

  const { stdout, stderr } = await run(process.execPath, [entry], { cwd: dir, timeoutMs: 60_000 });
  for (const line of stdout.trim().split('\n')) log(`${name}:   ${line}`);
  // Node 22.12 loads an ES module through require() but warns at every start (22.13 does not):
  // engines starts past it, and this holds it there.
  if (/ExperimentalWarning/.test(stderr)) {
    throw new Error(`${name}: Node ${process.versions.node} printed a warning:\n${stderr.trim()}`);
  }
  if (!stdout.includes('CHECKS_OK')) throw new Error(`${name}: the checks did not finish`);
  if (!stdout.includes('APP_SHUTDOWN_HOOK SIGTERM')) {
    throw new Error(`${name}: SIGTERM did not run the application's onApplicationShutdown hook`);
  }

  if (typecheck) {
    log(`${name}: type-checking a TypeScript consumer of the declarations (skipLibCheck: false)`);
    writeFileSync(join(dir, 'consumer.ts'), CONSUMER_TS);
    const tsconfig = {
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        lib: ['ES2023', 'DOM'],
        strict: true,
        noEmit: true,
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        skipLibCheck: false,
        types: ['node'],
        typeRoots: [join(ROOT, 'node_modules/@types')],
      },
      files: ['consumer.ts'],
    };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir });
  }
  const besides = Object.keys(beside).length
    ? `, beside ${Object.keys(beside)
        .map((peer) => `${peer} ${installedVersion(dir, peer)}`)
        .join(', ')}`
    : '';
  summary.push(
    `${name}: Nest ${version}, ${esm ? 'ESM import' : 'CommonJS require(esm)'}${besides}: OK in ${elapsed(since)}`,
  );
}

function installedVersion(dir, name) {
  return JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')).version;
}

// ---------------------------------------------------------------------------------------------

/**
 * What a Nest 11 application of the previous generation already has, at the low end of the
 * optional peer ranges: npm checks every optional peer range against the peers of these (TypeORM
 * 0.3 takes mongodb 5.8 to 6), and refuses the whole install on a range that leaves no version.
 */
const PREVIOUS_GENERATION = {
  typeorm: '^0.3.0',
  '@nestjs/typeorm': '^11.0.0',
  pg: '^8.0.0',
  mongodb: '^6.13.0',
  ioredis: '^5.0.0',
  redis: '^5.0.0',
  bullmq: '^5.0.0',
  '@nestjs/bullmq': '^11.0.0',
  '@nestjs/terminus': '^11.0.0',
  sequelize: '^6.0.0',
  '@nestjs/sequelize': '^11.0.0',
  '@mikro-orm/core': '^6.0.0',
  '@mikro-orm/nestjs': '^6.0.0',
};

/** Whether the published peer range accepts Nest 11 (else npm refuses the install). */
function peersAcceptNest11() {
  const { peerDependencies = {} } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const range = String(peerDependencies['@nestjs/core'] ?? '');
  return /(^|\|\|)\s*[\^~>=]*\s*11(\.|\s|$)/.test(range) || range.trim() === '*';
}

async function main() {
  const { engines } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  if (!satisfiesEngines(process.versions.node, engines?.node)) {
    throw new Error(
      `Node ${process.versions.node} is outside package.json's "engines.node" (${engines?.node}): what this proves would not hold for a supported Node`,
    );
  }
  summary.push(`node ${process.versions.node} (engines: ${engines.node})`);
  const { tarball, files } = await pack();
  const maps = checkContents(files);

  const unpacked = tempDir('unpacked');
  await run('tar', ['xzf', tarball, '-C', unpacked]);
  const packageDir = join(unpacked, 'package');
  checkSourceMaps(packageDir, maps, files);
  checkDeclarations(packageDir, files);
  checkShippedPages(packageDir, files);

  const apps = [];
  if (!ONLY || ONLY === 'esm') {
    apps.push({ name: 'esm-nest12', format: 'esm', nest: 12, tarball, typecheck: true });
  }
  if (!ONLY || ONLY === 'cjs') {
    const flags =
      process.env.NEST11_PEER_FLAGS?.split(/\s+/).filter(Boolean) ??
      (peersAcceptNest11() ? [] : ['--legacy-peer-deps']);
    if (flags.includes('--legacy-peer-deps')) {
      log('warning: the peer range does not accept Nest 11; installing with --legacy-peer-deps');
    }
    apps.push({
      name: 'cjs-nest11',
      format: 'cjs',
      nest: 11,
      tarball,
      extraFlags: flags,
      beside: PREVIOUS_GENERATION,
    });
  }
  // The two installs are independent: run them side by side.
  const results = await Promise.allSettled(apps.map((app) => checkApp(app)));
  results.forEach((result) => {
    if (result.status === 'rejected') fail(result.reason?.message ?? String(result.reason));
  });
}

let exitCode = 0;
try {
  await main();
} catch (error) {
  fail(error?.stack ?? String(error));
} finally {
  cleanUp();
}
console.log('\n[check-pack] summary');
for (const line of summary) console.log(`  - ${line}`);
if (failures.length > 0) {
  console.log(`  ${failures.length} failure(s):`);
  for (const failure of failures) console.log(`  ✗ ${failure.split('\n').join('\n    ')}`);
  exitCode = 1;
} else {
  console.log(`  all checks passed in ${elapsed()}`);
}
process.exit(exitCode);
