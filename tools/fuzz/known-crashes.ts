/**
 * Crashes the fuzzer may meet that are tolerated by name: upstream bugs in
 * EROFS, overlayfs or elsewhere, never our code. Listed in
 * test-vms/fuzz/known-crashes.json, each with the console line that
 * identifies it, its owner, a reproducer under test-vms/ and the upstream
 * report. Any crash not listed there fails the fuzz tests, whoever it is
 * attributed to. Parsing and matching are pure.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { InputError } from '../common/errors.js';
import { testVmsDir } from '../common/paths.js';
import { splitPrintk, stripControl } from '../vm/index.js';
import type { Owner, Verdict } from './classify.js';

export const knownCrashesPath = path.join(testVmsDir, 'fuzz', 'known-crashes.json');

/** Owners a tolerated crash may have: a crash in init/initrd_erofs.c is always ours to fix. */
const TOLERABLE_OWNERS = ['erofs', 'overlayfs', 'other'] as const satisfies readonly Owner[];

export interface KnownCrash {
  /** What the crash is, as the test output names it. */
  name: string;
  /** Regex (JavaScript) the verdict's deciding console line must match, printk time removed. */
  lineMatches: string;
  owner: (typeof TOLERABLE_OWNERS)[number];
  /** A file under test-vms/ that reproduces it (e.g. a scenario whose initrd.edits cause it), relative to test-vms/. */
  reproducer: string;
  /** Where it is reported or fixed upstream. */
  upstream: string;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function unknownKeys(obj: Json, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(obj)) {
    if (!k.startsWith('$') && !allowed.includes(k)) throw new InputError(`${where}: unknown key "${k}"`, { hint: `known keys: ${allowed.join(', ')}` });
  }
}

function nonEmptyString(obj: Json, key: string, where: string): string {
  const v = obj[key];
  if (typeof v !== 'string' || !v.trim()) throw new InputError(`${where}.${key}: must be a non-empty string (got ${JSON.stringify(v)})`);
  return v;
}

/**
 * Validates the file's content. Reproducers must exist under `root`
 * (test-vms/): a tolerated crash nobody can replay is a guess.
 */
export function parseKnownCrashes(data: unknown, file = 'known-crashes.json', root = testVmsDir): KnownCrash[] {
  const where = path.basename(file);
  if (!isObject(data)) throw new InputError(`${where}: must be an object with a "crashes" list`);
  unknownKeys(data, ['crashes'], where);
  if (!Array.isArray(data.crashes)) throw new InputError(`${where}.crashes: must be a list (empty when no crash is tolerated)`);
  const names = new Set<string>();
  return data.crashes.map((raw, i) => {
    const w = `${where}.crashes[${i}]`;
    if (!isObject(raw)) throw new InputError(`${w}: must be an object with name, lineMatches, owner, reproducer, upstream`);
    unknownKeys(raw, ['name', 'lineMatches', 'owner', 'reproducer', 'upstream'], w);
    const name = nonEmptyString(raw, 'name', w);
    if (names.has(name)) throw new InputError(`${w}.name: "${name}" is listed twice`);
    names.add(name);
    const lineMatches = nonEmptyString(raw, 'lineMatches', w);
    try {
      new RegExp(lineMatches);
    } catch (err) {
      throw new InputError(`${w}.lineMatches: invalid regular expression: ${(err as Error).message}`);
    }
    const owner = raw.owner;
    if (typeof owner !== 'string' || !(TOLERABLE_OWNERS as readonly string[]).includes(owner)) {
      throw new InputError(`${w}.owner: must be one of ${TOLERABLE_OWNERS.join(', ')} (got ${JSON.stringify(owner)}); a crash in our code is never tolerated`);
    }
    const reproducer = nonEmptyString(raw, 'reproducer', w);
    const abs = path.resolve(root, reproducer);
    if (path.relative(root, abs).startsWith('..') || !existsSync(abs)) {
      throw new InputError(`${w}.reproducer: ${reproducer} is not a file under ${root}`, { hint: 'reproduce the crash first (a scenario with initrd.edits), then list it' });
    }
    const upstream = nonEmptyString(raw, 'upstream', w);
    return { name, lineMatches, owner: owner as KnownCrash['owner'], reproducer, upstream };
  });
}

export async function loadKnownCrashes(file = knownCrashesPath, root = testVmsDir): Promise<KnownCrash[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${file}: not valid JSON: ${(err as Error).message}`);
  }
  return parseKnownCrashes(data, file, root);
}

/** The known crash a verdict is, if any: same owner, deciding line matching. */
export function knownCrashFor(verdict: Pick<Verdict, 'class' | 'line' | 'owner'>, known: readonly KnownCrash[]): KnownCrash | undefined {
  if (verdict.class !== 'crash') return undefined;
  const message = splitPrintk(stripControl(verdict.line)).message;
  return known.find((k) => k.owner === verdict.owner && new RegExp(k.lineMatches).test(message));
}

/** Crashes (any owner) that no known crash accounts for: each one fails a fuzz run's test. */
export function unexpectedCrashes<T extends { verdict: Pick<Verdict, 'class' | 'line' | 'owner'> }>(cases: readonly T[], known: readonly KnownCrash[]): T[] {
  return cases.filter((c) => c.verdict.class === 'crash' && !knownCrashFor(c.verdict, known));
}
