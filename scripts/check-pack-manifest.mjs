/**
 * The checks of scripts/check-pack.mjs on what the README needs in the published package: the
 * pages it links to (a registry, an editor or node_modules/ shows the README from the tarball, and
 * resolves its relative links there or, on a registry, through `repository`), the package's
 * addresses, and the Node.js range of `engines`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';

/** Documentation the tarball ships besides the README, CHANGELOG and LICENSE. */
export const SHIPPED_DOCS = [
  /^docs\/[^/]+\.md$/,
  // The pictures its pages show (the status page's screenshots): their links must resolve too.
  /^docs\/[^/]+\.png$/,
  /^bench\/README\.md$/,
  /^sample\/k8s\/[^/]+\.ya?ml$/,
  /^CONTRIBUTING\.md$/,
];

/** The relative links of a Markdown page, outside code blocks and code spans. */
export function relativeLinks(markdown) {
  const links = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(`{3,}|~{3,})/.test(line)) fenced = !fenced;
    if (fenced) continue;
    const prose = line.replace(/`[^`]*`/g, '');
    for (const match of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      if (!/^[a-z][a-z0-9+.-]*:/i.test(match[1])) links.push(match[1]);
    }
  }
  return links;
}

/**
 * Every page of docs/ ships, and every relative link of every page in the tarball resolves to a
 * file in it. Returns how many links were checked.
 */
export function checkDocumentation({ root, packageDir, files, fail }) {
  const pages = readdirSync(join(root, 'docs')).filter((file) => file.endsWith('.md'));
  for (const page of pages) {
    if (!files.includes(`docs/${page}`)) fail(`tarball lacks docs/${page}`);
  }
  let checked = 0;
  for (const file of files.filter((f) => f.endsWith('.md'))) {
    const markdown = readFileSync(join(packageDir, file), 'utf8');
    const missing = new Set();
    for (const link of relativeLinks(markdown)) {
      const path = decodeURIComponent(link.split('#')[0].split('?')[0]);
      if (path === '') continue;
      checked++;
      const target = posix.normalize(posix.join(posix.dirname(file), path));
      if (!files.includes(target)) missing.add(target);
    }
    for (const target of missing) {
      fail(`${file} links to ${target}, which is not in the tarball (add it to "files")`);
    }
  }
  return checked;
}

/**
 * The addresses a registry needs to show the README (relative links resolve through
 * `repository`) and to send users to the code and the issues.
 */
export function checkAddresses(manifest, fail) {
  const url = manifest.repository?.url ?? '';
  const repo = /^git\+(https:\/\/github\.com\/[\w.-]+\/[\w.-]+)\.git$/.exec(url)?.[1];
  if (manifest.repository?.type !== 'git' || !repo) {
    fail(
      `package.json "repository" is ${JSON.stringify(manifest.repository)}; it must be ` +
        '{ "type": "git", "url": "git+https://github.com/<owner>/<name>.git" }',
    );
    return undefined;
  }
  if (manifest.homepage !== `${repo}#readme`) {
    fail(
      `package.json "homepage" is ${JSON.stringify(manifest.homepage)}; expected "${repo}#readme"`,
    );
  }
  if (manifest.bugs?.url !== `${repo}/issues`) {
    fail(
      `package.json "bugs" is ${JSON.stringify(manifest.bugs)}; expected { "url": "${repo}/issues" }`,
    );
  }
  return repo;
}

/**
 * The releases `engines.node` starts its ranges at: `^22.17.0 || ^24.1.0` gives 22.17.0 and
 * 24.1.0. Only caret ranges of full versions, so that each is a release CI can run.
 */
export function engineFloors(range) {
  const parts = String(range ?? '')
    .split('||')
    .map((part) => part.trim());
  const floors = parts.map((part) => /^\^(\d+\.\d+\.\d+)$/.exec(part)?.[1]);
  if (parts.length === 0 || floors.some((floor) => floor === undefined)) {
    throw new Error(
      `package.json "engines.node" is ${JSON.stringify(range)}; it must be caret ranges of full versions joined by "||" (such as "^22.17.0 || ^24.1.0"), each the release CI runs`,
    );
  }
  return floors;
}

/** Whether `version` (such as 22.17.1) is in one of the caret ranges of `range`. */
export function satisfiesEngines(version, range) {
  const [major, minor, patch] = version.split('.').map(Number);
  return engineFloors(range).some((floor) => {
    const [fMajor, fMinor, fPatch] = floor.split('.').map(Number);
    if (major !== fMajor) return false;
    return minor > fMinor || (minor === fMinor && patch >= fPatch);
  });
}
