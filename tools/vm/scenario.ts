/**
 * Scenarios: data files (test-vms/scenarios/*.json) that say which kernel,
 * which initrd, which command line and memory, and which checks to run over
 * SSH. Parsing and validation are pure; errors name the file and the entry.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InputError } from '../common/errors.js';
import { testVmsDir } from '../common/paths.js';
import { parseImageEdits, type ImageEdit } from '../initrd/index.js';

export const scenariosDir = path.join(testVmsDir, 'scenarios');

export interface CheckExpect {
  /** Exit status the command must end with (default 0). */
  exitCode: number;
  /** stdout, without its trailing newlines, must equal this. */
  stdout?: string;
  /** stdout must contain each of these substrings. */
  stdoutContains?: string[];
  /** stdout must match each regex (JavaScript syntax, multiline: ^ and $ match at line ends). */
  stdoutMatches?: string[];
  /** stdout must not match any of these. */
  stdoutNotMatches?: string[];
  /** stderr must contain / match (for commands expected to fail). */
  stderrContains?: string[];
  stderrMatches?: string[];
}

export interface Check {
  name: string;
  /** Shell command run by the guest's /bin/sh through SSH exec. */
  run: string;
  expect: CheckExpect;
  /** Per-check bound in seconds (default 30). */
  timeoutS: number;
}

/** Either packed from a guest manifest at run time, or an existing image used as is. */
export type ImageSpec =
  | {
      kind: 'pack';
      /** Absolute path (the file holds it relative to itself). */
      manifest: string;
      format: 'cpio' | 'erofs';
      compress: string;
      payloadBytes: number;
    }
  | {
      /** A prebuilt image (a distribution's initramfs, a deliberately corrupt one); no key is injected. */
      kind: 'image';
      /** Absolute path. */
      image: string;
    };

/**
 * The initrd: an image, optionally with byte edits applied before boot (a
 * corrupted superblock, a truncation), in the vocabulary of
 * tools/initrd/edits.ts.
 */
export type InitrdSpec = ImageSpec & { edits?: ImageEdit[] };

/** The extra read-only virtio disk (/dev/vda): packed with the workspace key like the initrd, or given. */
export type DiskSpec = ImageSpec;

/** Outcomes a scenario may expect of its boot (a failed check is never the expectation: invert the check). */
export const EXPECTABLE_OUTCOMES = ['PASS', 'PANIC', 'BOOT-TIMEOUT'] as const;
export type ExpectedOutcome = (typeof EXPECTABLE_OUTCOMES)[number];

/**
 * What the boot itself must show, beyond the checks: the outcome (a corrupted
 * image must PANIC with the documented message) and console lines. Console
 * texts are matched against the console's lines with their printk timestamps
 * removed, joined by newlines (regexes are multiline).
 */
export interface BootExpectation {
  outcome: ExpectedOutcome;
  /** Substrings that must appear on the console. */
  consoleContains?: string[];
  /** Regexes that must match the console. */
  consoleMatches?: string[];
  /** Regexes that must not match the console. */
  consoleNotMatches?: string[];
  /** PANIC only: the first sign of trouble must reach the console within this many seconds of QEMU's start. */
  withinS?: number;
}

export interface Scenario {
  /** File name without .json: the name in run directories and reports. */
  name: string;
  /** Absolute path of the scenario file. */
  file: string;
  description: string;
  kernel: { base: string; fragments: string[]; patches: boolean };
  initrd: InitrdSpec;
  /** An extra read-only virtio-blk drive, /dev/vda in the guest. */
  disk?: DiskSpec;
  append: string;
  memoryMiB: number;
  bootTimeoutS: number;
  /** Absent: the boot must come up (PASS) and the outcome is the checks' (as before expectations existed). */
  expectBoot?: BootExpectation;
  checks: Check[];
}

/**
 * Variables a check may use in its expectations: `${kernelRelease}`,
 * `${initrdSha256}`, `${initrdBytes}`, `${initrdFormat}`, `${initrdCompress}`;
 * `${hostSha256:PATH}`, the SHA-256 of a host file (absolute, or relative
 * to the scenario file), e.g. to compare a guest file with its source; and
 * `${initrdFileSha256:PATH}` / `${initrdFileBytes:PATH}`, the SHA-256 and
 * size of guest file PATH as the packed initrd holds it (manifest plus
 * payload), e.g. to check a payload file the packer generated.
 */
export const SCALAR_VARIABLES = ['kernelRelease', 'initrdSha256', 'initrdBytes', 'initrdFormat', 'initrdCompress'] as const;
export type ScalarVariable = (typeof SCALAR_VARIABLES)[number];

/** Variables that take a path after a colon. */
export const PATH_VARIABLES = ['hostSha256', 'initrdFileSha256', 'initrdFileBytes'] as const;
export type PathVariable = (typeof PATH_VARIABLES)[number];

const VARIABLE_REF = /\$\{([^}]*)\}/g;

export interface VariableRef {
  /** The text between ${ and }. */
  raw: string;
  kind: 'scalar' | PathVariable;
  /** scalar: the variable name; hostSha256: the host path as written; initrdFile*: the absolute guest path. */
  value: string;
}

/** The variables a string refers to; throws (naming `where`) on unknown ones. */
export function variableRefs(text: string, where: string): VariableRef[] {
  const refs: VariableRef[] = [];
  for (const m of text.matchAll(VARIABLE_REF)) {
    const raw = m[1] ?? '';
    const kind = PATH_VARIABLES.find((v) => raw.startsWith(`${v}:`) && raw.length > v.length + 1);
    if ((SCALAR_VARIABLES as readonly string[]).includes(raw)) refs.push({ raw, kind: 'scalar', value: raw });
    else if (kind) {
      const value = raw.slice(kind.length + 1);
      if (kind !== 'hostSha256' && (!value.startsWith('/') || value.split('/').includes('..'))) {
        throw new InputError(`${where}: \${${raw}}: ${JSON.stringify(value)} is not an absolute guest path`);
      }
      refs.push({ raw, kind, value });
    } else {
      throw new InputError(`${where}: unknown variable \${${raw}}`, {
        hint: `variables: ${SCALAR_VARIABLES.map((v) => `\${${v}}`).join(', ')}, ${PATH_VARIABLES.map((v) => `\${${v}:PATH}`).join(', ')}`,
      });
    }
  }
  return refs;
}

/** Every expectation text of a scenario (checks and boot expectation) with where it is, for variable lookups. */
export function expectationTexts(s: Pick<Scenario, 'checks' | 'expectBoot'>): Array<{ text: string; where: string }> {
  const checkTexts = (c: Check): string[] => {
    const e = c.expect;
    return [e.stdout, ...(e.stdoutContains ?? []), ...(e.stdoutMatches ?? []), ...(e.stdoutNotMatches ?? []), ...(e.stderrContains ?? []), ...(e.stderrMatches ?? [])].filter((t): t is string => t !== undefined);
  };
  const e = s.expectBoot;
  const bootTexts = e ? [...(e.consoleContains ?? []), ...(e.consoleMatches ?? []), ...(e.consoleNotMatches ?? [])] : [];
  return [...s.checks.flatMap((c) => checkTexts(c).map((text) => ({ text, where: c.name }))), ...bootTexts.map((text) => ({ text, where: 'expectBoot' }))];
}

const SIZE_UNITS: Record<string, number> = {
  '': 1, B: 1, K: 1024, KIB: 1024, M: 1024 ** 2, MIB: 1024 ** 2, G: 1024 ** 3, GIB: 1024 ** 3,
};

/** "0", "64M", "64MiB", "1G", 4096 → bytes (binary units). */
export function parseSize(value: unknown, where: string): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (typeof value === 'string') {
    const m = /^\s*(\d+)\s*([A-Za-z]*)\s*$/.exec(value);
    const unit = SIZE_UNITS[(m?.[2] ?? '').toUpperCase()];
    if (m && unit !== undefined) return Number(m[1]) * unit;
  }
  throw new InputError(`${where}: not a size: ${JSON.stringify(value)}`, {
    hint: 'a whole number of bytes, or with a binary unit: "0", "512K", "64M", "64MiB", "1G"',
  });
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads fields of one JSON object, naming the file and entry in every error. */
class Fields {
  private readonly used = new Set<string>();

  constructor(
    private readonly obj: Json,
    readonly where: string,
  ) {}

  private fail(key: string, what: string): never {
    throw new InputError(`${this.where}.${key}: ${what} (got ${JSON.stringify(this.obj[key])})`);
  }

  private get(key: string): unknown {
    this.used.add(key);
    return this.obj[key];
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined;
  }

  string(key: string, dflt?: string): string {
    const v = this.get(key);
    if (v === undefined && dflt !== undefined) return dflt;
    if (typeof v !== 'string') this.fail(key, v === undefined ? 'missing, must be a string' : 'must be a string');
    return v;
  }

  nonEmptyString(key: string): string {
    const v = this.string(key);
    if (!v.trim()) this.fail(key, 'must not be empty');
    return v;
  }

  boolean(key: string, dflt: boolean): boolean {
    const v = this.get(key);
    if (v === undefined) return dflt;
    if (typeof v !== 'boolean') this.fail(key, 'must be true or false');
    return v;
  }

  integer(key: string, dflt: number | undefined, min: number, max: number): number {
    const v = this.get(key);
    if (v === undefined && dflt !== undefined) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.fail(key, `${v === undefined ? 'missing, ' : ''}must be a whole number from ${min} to ${max}`);
    }
    return v;
  }

  oneOf<T extends string>(key: string, values: readonly T[], dflt?: T): T {
    const v = this.get(key);
    if (v === undefined && dflt !== undefined) return dflt;
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
      this.fail(key, `must be one of ${values.join(', ')}`);
    }
    return v as T;
  }

  /** A string or a list of strings (single values are the common case in files). */
  strings(key: string): string[] | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    if (typeof v === 'string') return [v];
    if (Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string')) return v as string[];
    this.fail(key, 'must be a string or a non-empty list of strings');
  }

  raw(key: string): unknown {
    return this.get(key);
  }

  object(key: string): Fields {
    const v = this.get(key);
    if (!isObject(v)) this.fail(key, v === undefined ? 'missing, must be an object' : 'must be an object');
    return new Fields(v, `${this.where}.${key}`);
  }

  /** Unknown keys are errors: a typo ("stdoutMatch") must not silently check nothing. */
  done(allowed: readonly string[] = []): void {
    for (const k of Object.keys(this.obj)) {
      if (k.startsWith('$') || this.used.has(k) || allowed.includes(k)) continue;
      throw new InputError(`${this.where}: unknown key "${k}"`, {
        hint: `known keys: ${[...this.used, ...allowed].join(', ')}`,
      });
    }
  }
}

/** Validates variables and regexes of expectation texts now, not at the end of a boot. */
function validateTexts(where: string, plain: readonly string[], regexes: ReadonlyArray<{ key: string; values: readonly string[] }>): void {
  for (const t of [...plain, ...regexes.flatMap((r) => r.values)]) variableRefs(t, where);
  for (const { key, values } of regexes) {
    for (const re of values) {
      try {
        new RegExp(re.replace(VARIABLE_REF, 'x'), 'm');
      } catch (err) {
        throw new InputError(`${where}.${key}: invalid regular expression ${JSON.stringify(re)}: ${(err as Error).message}`);
      }
    }
  }
}

const EXPECT_STRING_LISTS = ['stdoutContains', 'stdoutMatches', 'stdoutNotMatches', 'stderrContains', 'stderrMatches'] as const;

function parseCheck(value: unknown, where: string): Check {
  if (!isObject(value)) throw new InputError(`${where}: must be an object with name, run and expect`);
  const f = new Fields(value, where);
  const name = f.nonEmptyString('name');
  const run = f.nonEmptyString('run');
  const timeoutS = f.integer('timeoutS', 30, 1, 3600);
  const e = f.object('expect');
  const expect: CheckExpect = { exitCode: e.integer('exitCode', 0, 0, 255) };
  if (e.has('stdout')) expect.stdout = e.string('stdout');
  for (const key of EXPECT_STRING_LISTS) {
    const list = e.strings(key);
    if (list) expect[key] = list;
  }
  e.done();
  validateTexts(
    `${where}.expect`,
    [expect.stdout, ...(expect.stdoutContains ?? []), ...(expect.stderrContains ?? [])].filter((t): t is string => t !== undefined),
    (['stdoutMatches', 'stdoutNotMatches', 'stderrMatches'] as const).map((key) => ({ key, values: expect[key] ?? [] })),
  );
  f.done();
  return { name, run, expect, timeoutS };
}

function parseBootExpectation(f: Fields, bootTimeoutS: number): BootExpectation {
  const outcome = f.oneOf('outcome', EXPECTABLE_OUTCOMES, 'PASS');
  const expectation: BootExpectation = { outcome };
  for (const key of ['consoleContains', 'consoleMatches', 'consoleNotMatches'] as const) {
    const list = f.strings(key);
    if (list) expectation[key] = list;
  }
  if (f.has('withinS')) {
    if (outcome !== 'PANIC') {
      throw new InputError(`${f.where}.withinS: only for "outcome": "PANIC" (a boot that must come up is bounded by bootTimeoutS)`);
    }
    expectation.withinS = f.integer('withinS', undefined, 1, bootTimeoutS);
  }
  f.done();
  validateTexts(
    f.where,
    expectation.consoleContains ?? [],
    (['consoleMatches', 'consoleNotMatches'] as const).map((key) => ({ key, values: expectation[key] ?? [] })),
  );
  return expectation;
}

/** "manifest" (packed at run time) or "image" (used as is); the caller finishes `i` (other keys). */
function parseImageSpec(i: Fields, relative: (p: string) => string): ImageSpec {
  if (i.has('image')) {
    if (i.has('manifest')) throw new InputError(`${i.where}: give either "manifest" (packed at run time) or "image" (used as is), not both`);
    return { kind: 'image', image: relative(i.nonEmptyString('image')) };
  }
  return {
    kind: 'pack',
    manifest: relative(i.nonEmptyString('manifest')),
    format: i.oneOf('format', ['cpio', 'erofs'] as const),
    compress: i.string('compress', 'none'),
    payloadBytes: i.has('payload') ? parseSize(i.raw('payload'), `${i.where}.payload`) : 0,
  };
}

/**
 * Validates a parsed scenario file. `file` is the scenario's path: it names
 * the scenario and anchors relative paths (the manifest).
 */
export function parseScenario(json: unknown, file: string): Scenario {
  const where = path.basename(file);
  if (!isObject(json)) throw new InputError(`${where}: a scenario must be a JSON object`);
  const f = new Fields(json, where);
  const description = f.string('description', '');
  const k = f.object('kernel');
  const base = k.nonEmptyString('base');
  const fragmentsRaw = k.raw('fragments') ?? ['guest'];
  if (!Array.isArray(fragmentsRaw) || !fragmentsRaw.every((s) => typeof s === 'string' && s.trim())) {
    throw new InputError(`${where}.kernel.fragments: must be a list of config fragment names (got ${JSON.stringify(fragmentsRaw)})`);
  }
  const patches = k.boolean('patches', false);
  k.done();
  const i = f.object('initrd');
  const relative = (p: string): string => path.resolve(path.dirname(path.resolve(file)), p);
  const initrd: InitrdSpec = parseImageSpec(i, relative);
  if (i.has('edits')) {
    const edits = parseImageEdits(i.raw('edits'), `${where}.initrd.edits`);
    if (edits.length === 0) throw new InputError(`${where}.initrd.edits: an empty list edits nothing; remove it`);
    initrd.edits = edits;
  }
  i.done();
  let disk: DiskSpec | undefined;
  if (f.has('disk')) {
    const d = f.object('disk');
    disk = parseImageSpec(d, relative);
    d.done();
  }
  const append = f.string('append', '');
  const memoryMiB = f.integer('memoryMiB', 512, 64, 65536);
  const bootTimeoutS = f.integer('bootTimeoutS', 60, 1, 3600);
  const expectBoot = f.has('expectBoot') ? parseBootExpectation(f.object('expectBoot'), bootTimeoutS) : undefined;
  const checksRaw = f.raw('checks');
  if (!Array.isArray(checksRaw)) throw new InputError(`${where}.checks: must be a list of checks (may be empty)`);
  const checks = checksRaw.map((c, idx) => parseCheck(c, `${where}.checks[${idx}]${isObject(c) && typeof c.name === 'string' ? ` (${c.name})` : ''}`));
  const names = new Set<string>();
  for (const c of checks) {
    if (names.has(c.name)) throw new InputError(`${where}.checks: two checks are named "${c.name}"; names identify results`);
    names.add(c.name);
  }
  if (expectBoot && expectBoot.outcome !== 'PASS' && checks.length > 0) {
    throw new InputError(
      `${where}.checks: a scenario that expects ${expectBoot.outcome} never gets an SSH session to run checks in`,
      { hint: 'remove the checks, or assert the console with expectBoot.consoleMatches' },
    );
  }
  f.done();
  // A guest file's expected bytes come from the manifest the initrd is packed from: a given image has none.
  if (initrd.kind === 'image') {
    const ref = expectationTexts({ checks, expectBoot }).flatMap((t) => variableRefs(t.text, t.where).map((r) => ({ ...r, where: t.where }))).find((r) => r.kind === 'initrdFileSha256' || r.kind === 'initrdFileBytes');
    if (ref) throw new InputError(`${where}: ${ref.where} uses \${${ref.raw}}, which needs an initrd packed from a manifest; this one is an image used as is`);
  }
  const scenario: Scenario = {
    name: path.basename(file).replace(/\.json$/, ''),
    file: path.resolve(file),
    description,
    kernel: { base, fragments: fragmentsRaw as string[], patches },
    initrd,
    append,
    memoryMiB,
    bootTimeoutS,
    checks,
  };
  if (disk) scenario.disk = disk;
  if (expectBoot) scenario.expectBoot = expectBoot;
  return scenario;
}

/** Does a scenario argument name several scenarios (`kmode-*`, `cpio-?z*`, `kmode-erofs-[ln]*`)? */
export function isScenarioPattern(arg: string): boolean {
  return /[*?[]/.test(arg) && !arg.includes('/') && !arg.endsWith('.json');
}

/** A shell glob as a regex: `*` any run of characters, `?` one, `[ab]`/`[!ab]` a class; the rest literal. */
function globRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    const close = c === '[' ? pattern.indexOf(']', i + 2) : -1;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (close > 0) {
      const body = pattern.slice(i + 1, close);
      re += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`.replace(/\\/g, '\\\\');
      i = close;
    } else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** The names a shell-style pattern selects, sorted. */
export function matchScenarioNames(pattern: string, names: readonly string[]): string[] {
  const re = globRegExp(pattern);
  return names.filter((n) => re.test(n)).sort();
}

/**
 * Expands patterns among scenario arguments against test-vms/scenarios/, so
 * `iofs vm test 'kmode-*'` works whatever the shell does with the star. A
 * pattern that selects nothing is an error listing what exists.
 */
export async function expandScenarioArgs(args: readonly string[]): Promise<string[]> {
  if (!args.some(isScenarioPattern)) return [...args];
  const known = await listScenarios();
  const out: string[] = [];
  for (const arg of args) {
    if (!isScenarioPattern(arg)) {
      out.push(arg);
      continue;
    }
    const hits = matchScenarioNames(arg, known);
    if (hits.length === 0) {
      throw new InputError(`scenario pattern ${JSON.stringify(arg)} matches nothing in test-vms/scenarios`, { hint: `scenarios: ${known.join(', ')}` });
    }
    for (const h of hits) if (!out.includes(h)) out.push(h);
  }
  return out;
}

/** A scenario argument is a path to a .json file or a name in test-vms/scenarios/. */
export function scenarioPath(arg: string): string {
  if (arg.endsWith('.json') || arg.includes('/')) return path.resolve(arg);
  return path.join(scenariosDir, `${arg}.json`);
}

export async function loadScenario(arg: string): Promise<Scenario> {
  const file = scenarioPath(arg);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    const known = await listScenarios().catch(() => []);
    throw new InputError(`scenario ${arg}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`, {
      hint: known.length ? `scenarios in test-vms/scenarios: ${known.join(', ')}` : undefined,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${file}: not valid JSON: ${(err as Error).message}`);
  }
  return parseScenario(json, file);
}

export async function listScenarios(): Promise<string[]> {
  const names = await fs.readdir(scenariosDir);
  return names.filter((n) => n.endsWith('.json')).map((n) => n.replace(/\.json$/, '')).sort();
}
