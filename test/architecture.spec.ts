import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/*
 * The layers of lib/, as docs/architecture.md draws them, kept so: what a folder may import.
 * (Import circles, type-only imports included, are oxlint's import/no-cycle, in `npm run lint`.)
 */

const LIB = resolve(dirname(fileURLToPath(import.meta.url)), '../lib');

function sources(dir = LIB): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

interface Import {
  /** A package by name, or a file of lib/ by its path in lib/. */
  target: string;
  /** `import type` / `export type`: erased, it loads nothing. */
  typeOnly: boolean;
}

/** What a file imports, statically or dynamically. */
function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const statics = [
    ...text.matchAll(/(?:^|\n)\s*(import|export)(\s+type)?[^'"]*?from\s+'([^']+)'/g),
  ];
  const dynamic = [...text.matchAll(/import\('([^']+)'\)/g)];
  return [
    ...statics.map((match) => ({ specifier: match[3], typeOnly: match[2] !== undefined })),
    ...dynamic.map((match) => ({ specifier: match[1], typeOnly: false })),
  ].map(({ specifier, typeOnly }) => ({
    typeOnly,
    target: specifier.startsWith('.')
      ? relative(LIB, resolve(dirname(file), specifier)).replace(/\.js$/, '.ts')
      : specifier,
  }));
}

const inLib = (file: string) => relative(LIB, file);
/**
 * The transports another may import: the probe server serves the HTTP transport's bytes and the
 * gRPC transport's (its pure modules: its worker loads nothing of Nest); OpenAPI documents the
 * HTTP routes.
 */
const SERVES: Readonly<Record<string, readonly string[]>> = {
  'probe-server': ['http', 'grpc'],
  openapi: ['http'],
};
const FILES = sources();

describe('the layers of lib/', () => {
  it('core/ imports nothing of lib/ but itself, the public types and the decorator', () => {
    const outside = FILES.filter((file) => inLib(file).startsWith('core/')).flatMap((file) =>
      importsOf(file)
        .map(({ target }) => target)
        .filter((target) => target.endsWith('.ts'))
        .filter((target) => !/^(core|interfaces|decorators)\//.test(target))
        .map((target) => `${inLib(file)} -> ${target}`),
    );
    expect(outside).toEqual([]);
  });

  it('no transport, lifecycle, observability or indicator imports a transport but its own', () => {
    const crossing = FILES.flatMap((file) => {
      const from = inLib(file);
      const own = /^transports\/([^/]+)\//.exec(from)?.[1];
      return importsOf(file)
        .map(({ target }) => /^transports\/([^/]+)\//.exec(target)?.[1])
        .filter((transport): transport is string => transport !== undefined)
        .filter((transport) => transport !== own && !SERVES[own!]?.includes(transport))
        .filter(() =>
          /^(core|lifecycle|observability|indicators|discovery|transports)\//.test(from),
        )
        .map((transport) => `${from} -> transports/${transport}`);
    });
    expect(crossing).toEqual([]);
  });

  it('indicators/ never imports discovery/, which is built on top of them', () => {
    const upward = FILES.filter((file) => inLib(file).startsWith('indicators/')).flatMap((file) =>
      importsOf(file)
        .map(({ target }) => target)
        .filter((target) => target.startsWith('discovery/'))
        .map((target) => `${inLib(file)} -> ${target}`),
    );
    expect(upward).toEqual([]);
  });

  it("loads nothing of Nest, nor rxjs, in the probe server's worker", () => {
    const seen = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const { target, typeOnly } of importsOf(join(LIB, file))) {
        if (typeOnly) continue;
        if (target.endsWith('.ts')) visit(target);
        else packages.add(target);
      }
    };
    visit('transports/probe-server/probe-server.worker.ts');
    expect([...packages].filter((name) => /^@nestjs\/|^rxjs/.test(name))).toEqual([]);
  });

  it('keeps every source file under 250 lines', () => {
    const long = FILES.map(
      (file) => [inLib(file), readFileSync(file, 'utf8').split('\n').length] as const,
    ).filter(([, lines]) => lines > 260);
    expect(long).toEqual([]);
  });
});
