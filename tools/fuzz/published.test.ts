/**
 * The fuzz counts the READMEs state are the published record's: derived
 * here from test-vms/fuzz/results/record.json case by case, never copied.
 * Until a full run is published the comparison is skipped, saying how to
 * publish one; the claims it reads are checked to be there either way, so
 * it cannot pass by finding nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, testVmsDir } from '../common/paths.js';
import { FUZZ_RECORD_COMMAND, fuzzRecordPath, fuzzVerifyRecordPath, recordCounts, type FuzzRecord, type FuzzRecordCase } from './record.js';
import { formatCounts } from './run.js';

const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
const fuzzReadmePath = path.join(testVmsDir, 'fuzz', 'README.md');
const fuzzReadme = readFileSync(fuzzReadmePath, 'utf8');

/** The `### ` section of test-vms/fuzz/README.md that presents the published record. */
function publishedSection(text: string): { heading: string; body: string } | undefined {
  const sections = text.split(/^(?=#{2,3} )/m);
  const s = sections.find((x) => x.startsWith('### ') && x.includes('results/record.json'));
  if (!s) return undefined;
  const nl = s.indexOf('\n');
  return { heading: s.slice(0, nl), body: s.slice(nl + 1) };
}

/** Every statement of the READMEs about the published run that the record contradicts (or that cannot be found). */
function readmeMismatches(record: Pick<FuzzRecord, 'seed' | 'count' | 'cases' | 'kernel'>, top: string, fuzz: string): string[] {
  const out: string[] = [];
  const counts = recordCounts(record);
  const c = counts.byClass;
  const claim = (where: string, what: string, stated: string | undefined, actual: string | number): void => {
    if (stated === undefined) out.push(`${where}: no ${what} found`);
    else if (stated !== String(actual)) out.push(`${where}: ${what} says ${stated}, the record ${actual}`);
  };

  const runs = /(\d+) cases \(seed (\d+)\)/.exec(top);
  claim('README.md', '"N cases (seed S)"', runs?.[1], record.count);
  claim('README.md', 'seed', runs?.[2], record.seed);
  const totals = /\*\*(\d+) booted, (\d+) clean failures?, (\d+) crash(?:es)?, (\d+) hangs?\*\*/.exec(top);
  claim('README.md', 'booted count', totals?.[1], c.booted);
  claim('README.md', 'clean-failure count', totals?.[2], c['clean-failure']);
  claim('README.md', 'crash count', totals?.[3], c.crash);
  claim('README.md', 'hang count', totals?.[4], c.hang);
  claim('README.md', '"N stopped by the series\' superblock check"', /(\d+) stopped by the series' superblock check/.exec(top)?.[1], counts.cleanFailureKinds['superblock check failed (-22)'] ?? 0);
  if (/with the debug fragment/.test(top) && !record.kernel.fragments.includes('debug')) out.push('README.md: says the debug fragment, the record\'s kernel has none');

  const section = publishedSection(fuzz);
  if (!section) return [...out, 'test-vms/fuzz/README.md: no "### " section presenting results/record.json'];
  const heading = /^### (\d+) cases, seed (\d+)/.exec(section.heading);
  claim('test-vms/fuzz/README.md', 'heading\'s case count', heading?.[1], record.count);
  claim('test-vms/fuzz/README.md', 'heading\'s seed', heading?.[2], record.seed);
  const table = /^```\n([\s\S]*?)\n```$/m.exec(section.body)?.[1];
  const derived = formatCounts(counts).join('\n');
  if (table === undefined) out.push('test-vms/fuzz/README.md: no counts table in the published run\'s section');
  else if (table !== derived) out.push(`test-vms/fuzz/README.md: the counts table differs from the record's:\n--- README\n${table}\n--- record\n${derived}`);
  if (/\bNo crash\b/.test(section.body) && c.crash > 0) out.push(`test-vms/fuzz/README.md: says "No crash", the record has ${c.crash}`);
  if (/\bno hang\b/.test(section.body) && c.hang > 0) out.push(`test-vms/fuzz/README.md: says "no hang", the record has ${c.hang}`);
  const sanitizer = record.cases.filter((x) => x.kind === 'kasan' || x.kind === 'ubsan').length;
  if (/no KASAN\/UBSAN report/.test(section.body) && sanitizer > 0) out.push(`test-vms/fuzz/README.md: says "no KASAN/UBSAN report", the record has ${sanitizer}`);
  return out;
}

const published = existsSync(fuzzRecordPath);

describe('published fuzz record', () => {
  it.skipIf(!published)(
    published
      ? 'README.md and test-vms/fuzz/README.md state exactly the counts of test-vms/fuzz/results/record.json'
      : `README fuzz counts against test-vms/fuzz/results/record.json: skipped, no record yet; produce it with ${FUZZ_RECORD_COMMAND}`,
    () => {
      const record = JSON.parse(readFileSync(fuzzRecordPath, 'utf8')) as FuzzRecord;
      expect(record.cases.map((x) => x.id), 'one case per id of the plan').toEqual(Array.from({ length: record.count }, (_, i) => i));
      expect(record.cases.filter((x) => x.class !== 'booted' && !x.console?.length).map((x) => x.id), 'non-boots without a console excerpt').toEqual([]);
      expect(record.kernel.seriesHash).toMatch(/^[0-9a-f]{64}$/);
      expect(readmeMismatches(record, readme, fuzzReadme)).toEqual([]);
    },
  );

  it('the READMEs hold every claim the comparison reads, and a record that disagrees is caught', () => {
    // A record with the READMEs' current numbers is not at hand before publication; one that disagrees
    // everywhere shows each claim is found and compared (none is silently missing).
    const one = (id: number, region: string, cls: FuzzRecordCase['class']): FuzzRecordCase => ({ id, region, mutation: 'm', class: cls, kind: cls === 'crash' ? 'kasan' : 'superblock check failed (-22)', mounted: false, console: ['x'] });
    const record = { seed: 9, count: 3, kernel: { fragments: ['guest'] } as FuzzRecord['kernel'], cases: [one(0, 'control', 'booted'), one(1, 'superblock', 'crash'), one(2, 'size', 'hang')] };
    const found = readmeMismatches(record, readme, fuzzReadme);
    expect(found.filter((m) => / no .* found$|no "### " section|no counts table/.test(m)), 'claims the READMEs no longer make').toEqual([]);
    for (const what of ['"N cases (seed S)"', 'seed', 'booted count', 'clean-failure count', 'crash count', 'hang count', 'superblock check', 'debug fragment', 'heading\'s case count', 'heading\'s seed', 'counts table differs', '"No crash"', '"no hang"', '"no KASAN/UBSAN report"']) {
      expect(found.some((m) => m.includes(what)), what).toBe(true);
    }
  });
});

/** What the READMEs say of the run with verification on, against its record; [] when they agree. */
function verifyMismatches(record: Pick<FuzzRecord, 'count' | 'seed' | 'cases'>, top: string): string[] {
  const out: string[] = [];
  const refused = record.cases.filter((c) => c.verify === 'refused').length;
  const intact = record.cases.filter((c) => c.verify === 'intact').length;
  const mounted = record.cases.filter((c) => c.verify === 'mounted-tampered').length;
  const m = /with verification on \(`--verify`\), (\d+) cases \(seed (\d+)\): \*\*(\d+) tampered images refused, (none|\d+) mounted\*\*, (\d+) intact/.exec(top);
  if (!m) return ['README.md: no "with verification on (`--verify`), N cases (seed S): **R tampered images refused, none mounted**, I intact" sentence'];
  const claims: Array<[string, string | undefined, number]> = [['cases', m[1], record.count], ['seed', m[2], record.seed], ['refused', m[3], refused], ['mounted', m[4] === 'none' ? '0' : m[4], mounted], ['intact', m[5], intact]];
  for (const [what, stated, actual] of claims) if (stated !== String(actual)) out.push(`README.md: verification ${what} says ${stated}, the record ${actual}`);
  return out;
}

describe('published fuzz record with verification on', () => {
  const present = existsSync(fuzzVerifyRecordPath);
  it.skipIf(!present)('every tampered image was refused, never mounted, and README.md says so with the record\'s counts', () => {
    const record = JSON.parse(readFileSync(fuzzVerifyRecordPath, 'utf8')) as FuzzRecord;
    expect(record.cases.map((x) => x.id), 'one case per id of the plan').toEqual(Array.from({ length: record.count }, (_, i) => i));
    expect(record.append).toMatch(/ initrd_erofs_sha256=[0-9a-f]{64}$/);
    expect(record.cases.filter((c) => c.verify === undefined).map((c) => c.id), 'cases without a verification verdict').toEqual([]);
    expect(record.cases.filter((c) => c.verify === 'mounted-tampered').map((c) => c.id), 'tampered images mounted').toEqual([]);
    expect(record.cases.filter((c) => c.verify === 'refused' && c.mounted).map((c) => c.id)).toEqual([]);
    expect(record.cases.find((c) => c.id === 0)).toMatchObject({ verify: 'intact', class: 'booted', mounted: true });
    expect(verifyMismatches(record, readme)).toEqual([]);
  });

  it('the sentence is looked for, and a record that disagrees is caught', () => {
    const one = (id: number, verify: FuzzRecordCase['verify']): FuzzRecordCase => ({ id, region: 'r', mutation: 'm', class: 'clean-failure', kind: 'k', mounted: false, verify });
    const found = verifyMismatches({ count: 2, seed: 99, cases: [one(0, 'intact'), one(1, 'mounted-tampered')] }, readme);
    if (present) for (const what of ['cases', 'seed', 'refused', 'mounted']) expect(found.some((f) => f.includes(`verification ${what} `)), what).toBe(true);
    else expect(found.length).toBeGreaterThan(0);
  });
});

