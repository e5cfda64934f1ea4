#!/usr/bin/env node
/**
 * Runs end-to-end suites against Nest 11 without touching the main install (which stays on 12):
 * Nest 11 is installed into `.nest11/` (own package.json, own node_modules), and jest runs with
 * scripts/jest.nest11.config.js, whose moduleNameMapper sends every import of
 * @nestjs/{common,core,platform-express,platform-fastify,testing} (deep paths included, from the
 * tests, the library and Nest itself) there. Nest 11 is CommonJS; jest's ESM mode imports it like
 * any CommonJS module. rxjs and reflect-metadata are not installed in `.nest11/`
 * (--legacy-peer-deps): Nest 11 resolves them up the tree, to the main install's single copy.
 *
 * @nestjs/microservices 11 is there too, for the gRPC health service (its gRPC packages, grpc-js
 * and proto-loader, resolve to the main install's).
 *
 * `--floor` installs instead the oldest release the peer ranges allow (the floor of
 * peerDependencies' `@nestjs/core` range, for every @nestjs package), into `.nest-floor/`, and
 * runs the suites of the lifecycle there: the in-process ones, and those that start apps in child
 * processes, which load that release through scripts/nest-release.mjs
 * (NESTJS_PROBES_NEST_DIR).
 *
 * Usage: node scripts/test-nest11.mjs [--floor] [test paths...]   (default: the suites below)
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FLOOR = process.argv.includes('--floor');
const DIR = join(ROOT, FLOOR ? '.nest-floor' : '.nest11');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/**
 * In-process suites that need no external server. Not here: the ones that start the built sample
 * in a child process (sample, lifecycle, sample-servers: the child resolves the main install's
 * Nest 12, whatever jest maps), those that need databases or brokers (indicators-sql,
 * indicators-brokers, indicators-outage), and those of Nest 12 plug-ins (@nestjs/swagger 12 and
 * @nestjs/terminus 12 on Nest 11 is not a combination users have).
 */
const DEFAULT_SUITES = [
  'test/health.e2e-spec.ts',
  'test/access.e2e-spec.ts',
  'test/operators.e2e-spec.ts',
  'test/readiness.e2e-spec.ts',
  'test/shutdown.e2e-spec.ts',
  'test/redaction.e2e-spec.ts',
  'test/internal-network.e2e-spec.ts',
  'test/indicators-system.e2e-spec.ts',
  'test/metrics.e2e-spec.ts',
  'test/groups.e2e-spec.ts',
  'test/grpc.e2e-spec.ts',
  'test/grpc-probe-server.e2e-spec.ts',
  'test/status-page.e2e-spec.ts',
];

/**
 * The suites of the lifecycle, on the floor: signals, shutdown and the microservice servers'
 * registry (in child processes), and the gRPC streams ended before their server closes.
 */
const FLOOR_SUITES = [
  'test/shutdown.e2e-spec.ts',
  'test/shutdown-apps.e2e-spec.ts',
  'test/probe-server-apps.e2e-spec.ts',
  'test/readiness.e2e-spec.ts',
  'test/grpc.e2e-spec.ts',
];

/** The oldest release of NestJS the peer ranges allow: `^11.1.6 || ^12.0.0` gives 11.1.6. */
function floorRelease() {
  const { peerDependencies } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const floor = /^\^(11\.\d+\.\d+)/.exec(peerDependencies['@nestjs/core'])?.[1];
  if (!floor) throw new Error('package.json: no ^11.x.y floor in the @nestjs/core peer range');
  return floor;
}

const RELEASE = FLOOR ? floorRelease() : '^11.0.0';
const PACKAGES = ['common', 'core', 'platform-express', 'platform-fastify', 'testing'];
const MANIFEST = {
  name: FLOOR ? 'nestjs-probes-nest-floor' : 'nestjs-probes-nest11',
  private: true,
  description: `Nest ${RELEASE} for scripts/test-nest11.mjs; not the main install.`,
  dependencies: Object.fromEntries(
    [...PACKAGES, 'microservices'].map((name) => [`@nestjs/${name}`, RELEASE]),
  ),
};

const started = Date.now();
const log = (message) =>
  console.log(`[test-nest11 ${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);

function run(command, args, cwd) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', (code, signal) =>
      code === 0
        ? resolvePromise()
        : reject(new Error(`\`${command} ${args.join(' ')}\` exited with ${code ?? signal}`)),
    );
  });
}

/** Installs Nest 11 into .nest11/, unless the same manifest is installed already. */
async function install() {
  mkdirSync(DIR, { recursive: true });
  const manifest = `${JSON.stringify(MANIFEST, null, 2)}\n`;
  const stamp = createHash('sha256').update(manifest).digest('hex');
  const stampFile = join(DIR, 'node_modules', '.installed-manifest');
  const installed = existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp;
  if (installed) {
    log(`Nest ${RELEASE} already installed in ${DIR}`);
    return;
  }
  writeFileSync(join(DIR, 'package.json'), manifest);
  log(`npm install of Nest ${RELEASE} into ${DIR}`);
  await run(
    NPM,
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--legacy-peer-deps',
      '--no-package-lock',
      '--loglevel=error',
    ],
    DIR,
  );
  writeFileSync(stampFile, stamp);
}

function checkInstall() {
  const versions = Object.keys(MANIFEST.dependencies).map((name) => {
    const file = join(DIR, 'node_modules', name, 'package.json');
    const { version, type } = JSON.parse(readFileSync(file, 'utf8'));
    const wanted = FLOOR ? version === RELEASE : version.startsWith('11.');
    if (!wanted) throw new Error(`${DIR}: ${name} is ${version}, not ${RELEASE}`);
    if (type === 'module') throw new Error(`${DIR}: ${name} ${version} is not CommonJS`);
    return `${name.slice('@nestjs/'.length)} ${version}`;
  });
  log(`Nest 11 (CommonJS): ${versions.join(', ')}`);
}

try {
  await install();
  checkInstall();
  const given = process.argv.slice(2).filter((arg) => arg !== '--floor');
  const suites = given.length > 0 ? given : FLOOR ? FLOOR_SUITES : DEFAULT_SUITES;
  log(`jest on Nest ${RELEASE}: ${suites.join(' ')}`);
  // The jest config maps imports there in-process; child processes load it through a hook.
  process.env.NESTJS_PROBES_NEST_DIR = DIR;
  await run(
    process.execPath,
    [
      '--experimental-vm-modules',
      '--no-warnings=ExperimentalWarning',
      join(ROOT, 'node_modules/jest/bin/jest.js'),
      '--config',
      join(ROOT, 'scripts/jest.nest11.config.js'),
      // NestJS 11's app.close() never calls the adapter's beforeClose(), so readiness cannot fail
      // before onModuleDestroy there: a documented limitation (README, Compatibility), whose
      // test is left out of this run only.
      '--testNamePattern',
      '^(?!.*fails readiness while the application closes).*$',
      '--runTestsByPath',
      ...suites,
    ],
    ROOT,
  );
  log(`all suites passed on Nest ${RELEASE}`);
} catch (error) {
  console.error(`[test-nest11] FAIL ${error.message}`);
  process.exit(1);
}
