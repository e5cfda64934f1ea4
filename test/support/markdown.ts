import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Every page of documentation: the README, docs/, and the notes beside the code. */
export function documentationFiles(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((file) => file.endsWith('.md'))
    .map((file) => join('docs', file));
  return ['README.md', 'CONTRIBUTING.md', 'bench/README.md', ...docs];
}

/** A fenced code block of a page: its language, its text, where it starts. */
export interface CodeBlock {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  language: string;
  code: string;
  /** The reason given by `<!-- fragment: reason -->` right above it, if any. */
  fragment?: string;
}

/** The fenced blocks of a page, with the fragment marker above each (blank lines allowed). */
export function codeBlocks(file: string): CodeBlock[] {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})(\S*)/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, language] = open;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i].startsWith(`${indent}${fence}`); i++) {
      body.push(lines[i].startsWith(indent) ? lines[i].slice(indent.length) : lines[i]);
    }
    let above = start - 1;
    while (above >= 0 && lines[above].trim() === '') above--;
    const marker = above >= 0 ? /^\s*<!--\s*fragment:\s*(.*?)\s*-->\s*$/.exec(lines[above]) : null;
    blocks.push({
      file,
      line: start + 1,
      language,
      code: body.join('\n'),
      fragment: marker ? marker[1] : undefined,
    });
  }
  return blocks;
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/<[^>]*>/g, '')
    .replace(/[^\p{Letter}\p{Number}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Every anchor a page offers: its headings' slugs (repeated ones numbered, as GitHub does). */
export function anchors(file: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  let fenced = false;
  for (const line of readFileSync(join(ROOT, file), 'utf8').split('\n')) {
    if (/^\s*(`{3,}|~{3,})/.test(line)) fenced = !fenced;
    const heading = !fenced && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = slug(heading[1].replace(/`/g, ''));
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}

/** A link of a page to another page or an anchor. */
export interface Link {
  file: string;
  line: number;
  target: string;
}

/** The relative links of a page (external ones left out), outside code blocks. */
export function relativeLinks(file: string): Link[] {
  const links: Link[] = [];
  let fenced = false;
  readFileSync(join(ROOT, file), 'utf8')
    .split('\n')
    .forEach((text, index) => {
      if (/^\s*(`{3,}|~{3,})/.test(text)) fenced = !fenced;
      if (fenced) return;
      const prose = text.replace(/`[^`]*`/g, '');
      for (const match of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        const target = match[1];
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
        links.push({ file, line: index + 1, target });
      }
    });
  return links;
}

/** Where a link points: the file (relative to the root) and the anchor, if any. */
export function resolveLink(link: Link): { file: string; anchor?: string } {
  const [path, anchor] = link.target.split('#');
  const file = path ? relative(ROOT, resolve(ROOT, dirname(link.file), path)) : link.file;
  return { file, anchor: anchor || undefined };
}
