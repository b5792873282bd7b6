/**
 * Kernel configuration from fragments: parse what each fragment asks for,
 * and after merge_config.sh + olddefconfig, compare with the resulting
 * .config. Kconfig silently drops a symbol whose dependencies are off; this
 * is where that becomes an error naming the symbol and the fragment.
 */
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { InputError } from '../common/errors.js';
import { kernelPatchesDir } from '../common/paths.js';

export const configsDir = path.join(kernelPatchesDir, 'configs');

export interface Fragment {
  /** How it was named: "guest" or the path given. */
  name: string;
  /** Absolute path of the file. */
  path: string;
  content: string;
}

export interface ConfigRequest {
  /** Symbol without the CONFIG_ prefix. */
  symbol: string;
  /** y, m, n, a number or a quoted string, as written. */
  value: string;
  fragment: string;
  line: number;
}

export interface DroppedSymbol {
  request: ConfigRequest;
  /** The value in .config ("n" when not set or absent). */
  actual: string;
}

const setLine = /^CONFIG_([A-Za-z0-9_]+)=(.*)$/;
const unsetLine = /^# CONFIG_([A-Za-z0-9_]+) is not set$/;

/**
 * Parse a fragment (or a .config). Pure. Later lines override earlier ones,
 * as in merge_config.sh. Unrecognised non-comment lines are errors.
 */
export function parseConfigFragment(text: string, fragment: string): ConfigRequest[] {
  const bySymbol = new Map<string, ConfigRequest>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    let m = setLine.exec(line);
    if (m) {
      const value = (m[2] as string).trim();
      if (value === '') throw new InputError(`${fragment}:${i + 1}: CONFIG_${m[1]} has no value (use =y, =m, =n, a number or a "string")`);
      bySymbol.set(m[1] as string, { symbol: m[1] as string, value, fragment, line: i + 1 });
      return;
    }
    m = unsetLine.exec(line);
    if (m) {
      bySymbol.set(m[1] as string, { symbol: m[1] as string, value: 'n', fragment, line: i + 1 });
      return;
    }
    if (line === '' || line.startsWith('#')) return;
    throw new InputError(`${fragment}:${i + 1}: not a config line: ${JSON.stringify(line)}`, {
      hint: 'use CONFIG_FOO=y|m|n|<number>|"string" or "# CONFIG_FOO is not set"',
    });
  });
  return [...bySymbol.values()];
}

/** Symbol → value of a .config ("is not set" = "n"). Pure. */
export function parseDotConfig(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const m = setLine.exec(line);
    if (m) out.set(m[1] as string, (m[2] as string).trim());
    else {
      const u = unsetLine.exec(line);
      if (u) out.set(u[1] as string, 'n');
    }
  }
  return out;
}

function normalise(value: string): string {
  // Kconfig writes hex in lower case and keeps strings quoted; compare hex case-insensitively.
  return /^0x[0-9a-f]+$/i.test(value) ? value.toLowerCase() : value;
}

/**
 * Which requested symbols did not end up with the requested value. When
 * several fragments set a symbol, the last one wins (merge order). Pure.
 */
export function findDroppedSymbols(requests: ConfigRequest[], dotConfig: Map<string, string>): DroppedSymbol[] {
  const last = new Map<string, ConfigRequest>();
  for (const r of requests) last.set(r.symbol, r);
  const dropped: DroppedSymbol[] = [];
  for (const r of last.values()) {
    const actual = dotConfig.get(r.symbol) ?? 'n';
    if (normalise(actual) !== normalise(r.value)) dropped.push({ request: r, actual });
  }
  return dropped;
}

/** Human description of the dropped symbols, one per line. Pure. */
export function formatDropped(dropped: DroppedSymbol[], where: Map<string, string> = new Map()): string {
  return dropped
    .map((d) => {
      const got = d.actual === 'n' ? 'not set' : `=${d.actual}`;
      const loc = where.get(d.request.symbol);
      return `  CONFIG_${d.request.symbol}=${d.request.value} (asked by ${d.request.fragment}:${d.request.line}) ended up ${got}${loc ? `; ${loc}` : ''}`;
    })
    .join('\n');
}

/**
 * Find a fragment by name (kernel-patches/configs/<name>.config) or path.
 * The error lists the available names.
 */
export async function resolveFragment(nameOrPath: string): Promise<Fragment> {
  const isPath = nameOrPath.includes('/') || nameOrPath.endsWith('.config');
  const file = isPath ? path.resolve(nameOrPath) : path.join(configsDir, `${nameOrPath}.config`);
  if (!existsSync(file)) {
    const names = (await fs.readdir(configsDir).catch(() => [] as string[]))
      .filter((n) => n.endsWith('.config'))
      .map((n) => n.replace(/\.config$/, ''));
    throw new InputError(`config fragment ${JSON.stringify(nameOrPath)} not found (${file})`, {
      hint: `name one of kernel-patches/configs/: ${names.join(', ')}; or give a path to a .config fragment`,
    });
  }
  const content = await fs.readFile(file, 'utf8');
  // Validate early: a typo fails before any make runs.
  parseConfigFragment(content, isPath ? file : `${nameOrPath}.config`);
  return { name: isPath ? file : nameOrPath, path: file, content };
}

/** Content hash of the fragments in order (names do not count, content does). Pure. */
export function configHash(fragments: Pick<Fragment, 'content'>[]): string {
  const h = createHash('sha256');
  for (const f of fragments) {
    const c = createHash('sha256').update(f.content).digest('hex');
    h.update(`${c}\n`);
  }
  return h.digest('hex');
}

/** Fragment label used in messages: guest.config, or the path. */
export function fragmentLabel(f: Pick<Fragment, 'name'>): string {
  return f.name.includes('/') ? f.name : `${f.name}.config`;
}
