import { afterAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import {
  anchors,
  codeBlocks,
  documentationFiles,
  relativeLinks,
  resolveLink,
  ROOT,
  type CodeBlock,
} from './support/markdown.js';

/**
 * Docs are code: every TypeScript block of the README and docs/ compiles against the built
 * package, unless it is marked `<!-- fragment: why -->`; every relative link and anchor resolves;
 * every Mermaid diagram parses.
 */

const FILES = documentationFiles();
const BLOCKS = FILES.flatMap(codeBlocks);
const TYPESCRIPT = BLOCKS.filter((block) => ['ts', 'typescript'].includes(block.language));
const CHECK_DIR = join(ROOT, '.docs-check');

afterAll(() => rmSync(CHECK_DIR, { recursive: true, force: true }));

/** Where a block's line `index` (0-based) is in its page. */
const at = (block: CodeBlock, index: number) => `${block.file}:${block.line + 1 + index}`;

describe('the documentation', () => {
  it('has pages to check', () => {
    expect(FILES.length).toBeGreaterThanOrEqual(10);
    expect(TYPESCRIPT.length).toBeGreaterThan(25);
  });

  it('compiles every TypeScript block against the built package', () => {
    const index = join(ROOT, 'dist/index.d.ts');
    if (!existsSync(index)) throw new Error(`${index} does not exist: run \`npm run build\` first`);
    rmSync(CHECK_DIR, { recursive: true, force: true });
    mkdirSync(CHECK_DIR, { recursive: true });
    const checked = TYPESCRIPT.filter((block) => block.fragment === undefined);
    const files = new Map<string, CodeBlock>();
    checked.forEach((block, i) => {
      const name = join(CHECK_DIR, `block-${i}.ts`);
      // A block is a module of its own, whether or not it imports anything.
      writeFileSync(name, `${block.code}\nexport {};\n`);
      files.set(name, block);
    });
    const program = ts.createProgram([...files.keys()], {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      lib: ['lib.es2023.d.ts'],
      types: ['node'],
      strict: true,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      skipLibCheck: true,
      noEmit: true,
      noUnusedLocals: false,
      paths: { 'nestjs-probes': [index] },
    });
    const problems = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
      const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
      const block = diagnostic.file && files.get(diagnostic.file.fileName);
      if (!block || diagnostic.start === undefined) return text;
      const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start);
      return `${at(block, line)}: ${text}`;
    });
    expect(problems).toEqual([]);
  }, 120_000);

  it('says why each fragment is left out', () => {
    const unexplained = BLOCKS.filter((block) => block.fragment === '').map((b) => at(b, -1));
    expect(unexplained).toEqual([]);
  });

  it('has every relative link and anchor resolve', () => {
    const broken: string[] = [];
    for (const file of FILES) {
      for (const link of relativeLinks(file)) {
        const target = resolveLink(link);
        const where = `${link.file}:${link.line} → ${link.target}`;
        if (!existsSync(join(ROOT, target.file))) broken.push(`${where}: no such file`);
        else if (target.anchor && target.file.endsWith('.md')) {
          if (!anchors(target.file).has(target.anchor)) broken.push(`${where}: no such anchor`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('has Mermaid diagrams that parse', async () => {
    // Mermaid sanitises labels with DOMPurify, which needs a DOM for that; parsing needs none.
    const { default: purify } = await import('dompurify');
    const shim = purify as unknown as Record<string, unknown>;
    if (typeof shim.addHook !== 'function') {
      Object.assign(shim, {
        addHook: () => undefined,
        removeHook: () => undefined,
        removeHooks: () => undefined,
        sanitize: (text: string) => text,
      });
    }
    const { default: mermaid } = await import('mermaid');
    const diagrams = BLOCKS.filter((block) => block.language === 'mermaid');
    expect(diagrams.length).toBeGreaterThanOrEqual(2);
    const failures: string[] = [];
    for (const diagram of diagrams) {
      try {
        await mermaid.parse(diagram.code);
      } catch (error) {
        failures.push(`${at(diagram, -1)}: ${String((error as Error).message ?? error)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('keeps the README a front door: about 250 lines at most', async () => {
    const { readFileSync } = await import('node:fs');
    const lines = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n').length;
    expect(lines).toBeLessThanOrEqual(260);
  });
});
