/**
 * Crashes the fuzzer may meet that are tolerated by name: upstream bugs in
 * EROFS, overlayfs or elsewhere, never our code. Listed in
 * test-vms/fuzz/known-crashes.json, each with the console line that
 * identifies it, its owner, a reproducer under test-vms/ and the upstream
 * report. Any crash not listed there fails the fuzz tests, whoever it is
 * attributed to. Parsing and matching are pure.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as v from 'valibot';
import { dataObject, duplicateNames, list, loadJsonFile, must, nonEmptyString, parseData, problems, shown } from '../common/schema.js';
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

function crashesSchema(root: string) {
  const crash = dataObject({
    name: nonEmptyString(),
    lineMatches: v.pipe(nonEmptyString(), must(isRegex, (re) => `invalid regular expression ${JSON.stringify(re)}`)),
    owner: v.picklist(TOLERABLE_OWNERS, (issue) => `expected one of ${TOLERABLE_OWNERS.join(', ')}, got ${shown(issue.input)}: a crash in our code is never tolerated`),
    reproducer: v.pipe(
      nonEmptyString(),
      must(
        (r) => !path.relative(root, path.resolve(root, r)).startsWith('..') && existsSync(path.resolve(root, r)),
        (r) => `${r} is not a file under ${root}: reproduce the crash first (a scenario with initrd.edits), then list it`,
      ),
    ),
    upstream: nonEmptyString(),
  });
  return dataObject({
    crashes: v.pipe(
      list(crash, 'a list (empty when no crash is tolerated)'),
      problems((crashes) => duplicateNames(crashes, (c) => c.name, 'crashes')),
    ),
  });
}

function isRegex(re: string): boolean {
  try {
    new RegExp(re);
    return true;
  } catch {
    return false;
  }
}

/**
 * Validates the file's content. Reproducers must exist under `root`
 * (test-vms/): a tolerated crash nobody can replay is a guess.
 */
export function parseKnownCrashes(data: unknown, file = 'known-crashes.json', root = testVmsDir): KnownCrash[] {
  return parseData(crashesSchema(root), data, file).crashes;
}

export async function loadKnownCrashes(file = knownCrashesPath, root = testVmsDir): Promise<KnownCrash[]> {
  return loadJsonFile(crashesSchema(root), file).then((d) => d.crashes);
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
