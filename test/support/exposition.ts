/**
 * The Prometheus text exposition format (0.0.4), read as Prometheus reads it, for the suites of
 * the metrics route.
 */

/** One sample of the Prometheus text exposition format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  /** `# TYPE` of each metric family. */
  types: Record<string, string>;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

function parseValue(text: string | undefined, line: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const value = Number(text);
  if (text === undefined || text === '' || Number.isNaN(value)) {
    throw new Error(`Bad sample value in: ${line}`);
  }
  return value;
}

/** Parses the Prometheus text format (0.0.4): `name{label="value",...} value [timestamp]`. */
export function parseExposition(text: string): Exposition {
  const exposition: Exposition = { samples: [], types: {} };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const [, keyword, family, type] = line.split(/\s+/);
      if (keyword === 'TYPE' && family && type) exposition.types[family] = type;
      continue;
    }
    const name = METRIC_NAME.exec(line)?.[0];
    if (!name) throw new Error(`Not a sample: ${line}`);
    let i = name.length;
    const labels: Record<string, string> = {};
    if (line[i] === '{') {
      i++;
      while (line[i] !== '}') {
        const label = LABEL_NAME.exec(line.slice(i))?.[0];
        if (!label || line.slice(i + label.length, i + label.length + 2) !== '="') {
          throw new Error(`Bad label at ${i} in: ${line}`);
        }
        i += label.length + 2;
        let value = '';
        for (; line[i] !== '"'; i++) {
          if (i >= line.length) throw new Error(`Unterminated label value in: ${line}`);
          if (line[i] === '\\') {
            const escaped = line[++i];
            value += escaped === 'n' ? '\n' : escaped;
          } else {
            value += line[i];
          }
        }
        labels[label] = value;
        i++;
        if (line[i] === ',') i++;
        else if (line[i] !== '}') throw new Error(`Expected "," or "}" at ${i} in: ${line}`);
      }
      i++;
    }
    const [value] = line.slice(i).trim().split(/\s+/);
    exposition.samples.push({ name, labels, value: parseValue(value, line) });
  }
  return exposition;
}

/** The value of the one sample with that name and (at least) those labels. */
export function valueOf(exposition: Exposition, name: string, labels: Record<string, string> = {}) {
  const found = exposition.samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length !== 1) {
    throw new Error(`${found.length} samples ${name} ${JSON.stringify(labels)}`);
  }
  return found[0]!.value;
}

/**
 * Fails unless the exposition is one Prometheus accepts, as `promtool check metrics` checks it:
 * each family's `# TYPE` once, followed by its samples only, and no series twice.
 */
export function expectValid(text: string): void {
  const families = new Set<string>();
  const series = new Set<string>();
  let family: string | undefined;
  for (const line of text.split('\n')) {
    const [hash, keyword, name] = line.split(/\s+/);
    if (hash === '#' && keyword === 'TYPE' && name) {
      if (families.has(name)) throw new Error(`# TYPE ${name} twice`);
      families.add(name);
      family = name;
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const { name: sample, labels } = parseExposition(line).samples[0]!;
    if (family === undefined || (sample !== family && !sample.startsWith(`${family}_`))) {
      throw new Error(`a sample outside its family: ${line}`);
    }
    const key = `${sample}${JSON.stringify(Object.entries(labels).toSorted())}`;
    if (series.has(key)) throw new Error(`a series twice: ${line}`);
    series.add(key);
  }
}

/** The samples of the module's metrics (`health_*`), by name and labels, in order. */
export function ownSamples(exposition: Exposition): Sample[] {
  return exposition.samples.filter((sample) => sample.name.startsWith('health_'));
}

/**
 * The status a status gauge (`health_probe_status`, `health_check_status`) shows for the series
 * with `labels`: the one at 1; `undefined` when there is none.
 */
export function statusIn(
  exposition: Exposition,
  name: string,
  labels: Record<string, string>,
): string | undefined {
  const set = exposition.samples.filter(
    (s) =>
      s.name === name &&
      s.value === 1 &&
      Object.entries(labels).every(([key, value]) => s.labels[key] === value),
  );
  if (set.length > 1) throw new Error(`${name} ${JSON.stringify(labels)}: ${set.length} at 1`);
  return set[0]?.labels.status;
}
