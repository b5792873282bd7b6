/**
 * Scenarios: data files (test-vms/scenarios/*.json) that say which kernel,
 * which initrd, which command line and memory, and which checks to run over
 * SSH. Validation is a schema (tools/common/schema.ts): errors name the
 * file and the key. `kernel.base` may be left out: loadScenario fills in the
 * primary base of kernel-patches/bases.json, so scenarios follow it.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as v from 'valibot';
import { InputError } from '../common/errors.js';
import { testVmsDir } from '../common/paths.js';
import {
  bool, chosenBy, dataError, dataObject, dataRecord, duplicateNames, expected, int, list, must, nonEmptyList, nonEmptyString, oneOf, parseData, problems, readJsonFile, shown, str,
  stringOrList, type Problem,
} from '../common/schema.js';
import { GENERATORS, type Generator } from '../distro/index.js';
import { DISK_FORMATS, imageEditsSchema, type ImageEdit, type ImageFormat } from '../initrd/index.js';
import { primaryBaseName } from '../kernel/bases.js';

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

/** Packed from a guest manifest at run time, an existing image used as is, or made by a distribution's generator. */
export type ImageSpec =
  | {
      kind: 'pack';
      /** Absolute path (the file holds it relative to itself). */
      manifest: string;
      /** A second manifest packed over the first (absolute). */
      over?: string;
      /** Layered initrd: a manifest packed as an uncompressed cpio in front (early microcode style), and manifests appended after, in order (absolute). */
      early?: string;
      append?: string[];
      /** Guest files replaced by companion builds (kernel-patches/companions/): guest path -> companion name. */
      companions?: Record<string, string>;
      format: ImageFormat;
      compress: string;
      payloadBytes: number;
    }
  | {
      /** A prebuilt image (a distribution's initramfs, a deliberately corrupt one); no key is injected. */
      kind: 'image';
      /** Absolute path. */
      image: string;
    }
  | {
      /** Made for the scenario's kernel by a distribution's generator (tools/distro), then converted if format is erofs. */
      kind: 'generate';
      generator: Generator;
      format: 'cpio' | 'erofs';
      /** erofs: the compression of the converted image; cpio: the generator's own (zstd). */
      compress: string;
      /** Put the fixed handover tool (its companion) in, as an updated package would (default true). */
      companions: boolean;
      /** A manifest packed as an uncompressed cpio that the generator puts in front, as a microcode package's hook does (absolute). */
      early?: string;
    };

/**
 * The initrd: an image, optionally with byte edits applied before boot (a
 * corrupted superblock, a truncation), in the vocabulary of
 * tools/initrd/edits.ts.
 */
export type InitrdSpec = ImageSpec & {
  edits?: ImageEdit[];
  /**
   * initrd_erofs_sha256= on the command line: "auto", the EROFS image's own
   * digest, taken before any edits (so an edited image no longer matches);
   * or 64 hex digits, given as they are (a digest of another image).
   */
  digest?: string;
  /**
   * initrd_erofs_verity=: the image's dm-verity hash tree is appended to the
   * initrd (before any edits) and "auto" passes its root hash; 64 hex
   * digits are passed instead (another tree's root).
   */
  verity?: string;
  /**
   * A bootconfig appended to the initrd (after any hash tree, before edits),
   * one line of bootconfig text per entry; "bootconfig" is added to the
   * command line. `${imageSha256}` stands for the EROFS image's own SHA-256.
   */
  bootconfig?: string[];
};

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

const VARIABLES_KNOWN = `${SCALAR_VARIABLES.map((n) => `\${${n}}`).join(', ')}, ${PATH_VARIABLES.map((n) => `\${${n}:PATH}`).join(', ')}`;

const unknownVariable = (raw: string): string => `unknown variable \${${raw}} (variables: ${VARIABLES_KNOWN})`;

/** The reference `${raw}` stands for, or what is wrong with it (no such variable, a guest path that is not absolute). */
function variableRef(raw: string): VariableRef | string {
  if ((SCALAR_VARIABLES as readonly string[]).includes(raw)) return { raw, kind: 'scalar', value: raw };
  const kind = PATH_VARIABLES.find((v) => raw.startsWith(`${v}:`) && raw.length > v.length + 1);
  if (!kind) return unknownVariable(raw);
  const value = raw.slice(kind.length + 1);
  if (kind !== 'hostSha256' && (!value.startsWith('/') || value.split('/').includes('..'))) {
    return `\${${raw}}: ${JSON.stringify(value)} is not an absolute guest path`;
  }
  return { raw, kind, value };
}

/** The variables a string refers to; throws (naming `where`) on unknown ones. */
export function variableRefs(text: string, where: string): VariableRef[] {
  return [...text.matchAll(VARIABLE_REF)].map((m) => {
    const ref = variableRef(m[1] ?? '');
    if (typeof ref === 'string') throw new InputError(`${where}: ${ref}`);
    return ref;
  });
}

/** What is wrong with an expectation text: an unknown variable; for a regex, also bad syntax. */
function textProblem(text: string, regex: boolean): string | undefined {
  const problem = [...text.matchAll(VARIABLE_REF)].map((m) => variableRef(m[1] ?? '')).find((r) => typeof r === 'string');
  if (problem) return problem;
  if (!regex) return undefined;
  try {
    new RegExp(text.replace(VARIABLE_REF, 'x'), 'm');
    return undefined;
  } catch (err) {
    return `invalid regular expression ${JSON.stringify(text)}: ${(err as Error).message}`;
  }
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

const SIZE_WANTED = 'a size (bytes, or with a binary unit: "0", "512K", "64M", "64MiB", "1G")';

/** "0", "64M", "64MiB", "1G", 4096 → bytes (binary units); undefined when it is not a size. */
function sizeBytes(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (typeof value !== 'string') return undefined;
  const m = /^\s*(\d+)\s*([A-Za-z]*)\s*$/.exec(value);
  const unit = SIZE_UNITS[(m?.[2] ?? '').toUpperCase()];
  return m && unit !== undefined ? Number(m[1]) * unit : undefined;
}

/** A size as a data file writes it ("64M", 4096), validated but not converted. */
export const sizeTextSchema = v.custom<number | string>((x) => sizeBytes(x) !== undefined, expected(SIZE_WANTED));

/** A size in a data file, as bytes. */
const sizeSchema = v.pipe(
  sizeTextSchema,
  v.transform((x) => sizeBytes(x) as number),
);

/** "0", "64M", "64MiB", "1G", 4096 → bytes (binary units); `where` names the value in the error. */
export function parseSize(value: unknown, where: string): number {
  const bytes = sizeBytes(value);
  if (bytes === undefined) throw new InputError(`${where}: expected ${SIZE_WANTED}, got ${shown(value)}`);
  return bytes;
}

/** A string or a list of strings, each checked as an expectation text (or regex). */
const texts = (regex = false) => stringOrList((t) => textProblem(t, regex));

const checkSchema = dataObject({
  name: nonEmptyString(),
  run: nonEmptyString(),
  expect: dataObject({
    exitCode: v.optional(int(0, 255), 0),
    stdout: v.optional(v.pipe(str(), problems<string>((t) => textProblem(t, false)))),
    stdoutContains: v.optional(texts()),
    stdoutMatches: v.optional(texts(true)),
    stdoutNotMatches: v.optional(texts(true)),
    stderrContains: v.optional(texts()),
    stderrMatches: v.optional(texts(true)),
  }),
  timeoutS: v.optional(int(1, 3600), 30),
});

/** A scenario's (or a bench mode's) checks: names identify results, so they are unique. */
export const checksSchema = v.pipe(
  list(checkSchema, 'a list of checks (may be empty)'),
  problems((checks) => duplicateNames(checks, (c) => c.name, 'checks')),
);

const expectBootSchema = v.pipe(
  dataObject({
    outcome: v.optional(oneOf(EXPECTABLE_OUTCOMES), 'PASS'),
    consoleContains: v.optional(texts()),
    consoleMatches: v.optional(texts(true)),
    consoleNotMatches: v.optional(texts(true)),
    withinS: v.optional(int(1, 3600)),
  }),
  problems((e) =>
    e.withinS !== undefined && e.outcome !== 'PANIC'
      ? { path: ['withinS'], message: 'only for "outcome": "PANIC" (a boot that must come up is bounded by bootTimeoutS)' }
      : undefined,
  ),
);

/** The config the kernel is built with; `base` absent means the primary base. */
const kernelSpecSchema = dataObject({
  base: v.optional(nonEmptyString()),
  fragments: v.optional(list(nonEmptyString(), 'a list of config fragment names'), ['guest']),
  patches: v.optional(bool(), false),
});

const guestFile = () => v.pipe(str(), must((p) => p.startsWith('/') && !p.split('/').includes('..'), (p) => `${JSON.stringify(p)} is not an absolute guest path`));
const packSpec = {
  manifest: nonEmptyString(),
  over: v.optional(nonEmptyString()),
  early: v.optional(nonEmptyString('a manifest packed as an uncompressed cpio in front of the image')),
  append: v.optional(
    v.pipe(
      v.union([nonEmptyString(), list(nonEmptyString(), 'a list of manifests')], expected('a manifest, or a list of manifests, packed as uncompressed cpio archives after an EROFS image, in order')),
      v.transform((x) => (typeof x === 'string' ? [x] : x)),
    ),
  ),
  companions: v.optional(dataRecord(guestFile(), nonEmptyString('a companion name (kernel-patches/companions/companions.json)'))),
  format: oneOf(DISK_FORMATS),
  compress: v.optional(str(), 'none'),
  payload: v.optional(sizeSchema, 0),
};
const generateSpec = {
  generator: oneOf(GENERATORS),
  format: oneOf(['cpio', 'erofs']),
  compress: v.optional(str(), 'lz4hc'),
  companions: v.optional(bool(), true),
  early: v.optional(nonEmptyString('a manifest packed as an uncompressed cpio the generator puts in front (initramfs-tools\' prepend_earlyinitramfs)')),
};
const edits = v.pipe(imageEditsSchema, must((l: ImageEdit[]) => l.length > 0, () => 'an empty list edits nothing; remove it'));

/** "manifest" (packed at run time), "image" (used as is) or "generator" (a distribution's): which keys are valid depends on which is given. */
function imageSchema<E extends v.ObjectEntries>(extra: E, what: 'initrd' | 'disk') {
  const image = dataObject({ image: nonEmptyString(), ...extra });
  // ext4 is for the disk (a real root); an initrd is cpio or EROFS.
  const pack = dataObject({ ...packSpec, format: what === 'disk' ? oneOf(DISK_FORMATS) : oneOf(['cpio', 'erofs']), ...extra });
  const generate = dataObject({ ...generateSpec, ...extra });
  return chosenBy<typeof image | typeof pack | typeof generate>((o) => {
    const given = ['image', 'manifest', 'generator'].filter((k) => k in o);
    if (given.length > 1) return `give one of "manifest" (packed at run time), "image" (used as is) or "generator" (a distribution's), not ${given.map((k) => `"${k}"`).join(' and ')}`;
    if ('image' in o) return image;
    if ('generator' in o) return what === 'initrd' ? generate : 'a disk is packed ("manifest") or given ("image"); generators make initrds';
    return pack;
  }, 'an object with "manifest", "image" or "generator"');
}

/** Checks across keys: a bound within another, checks that can never run. */
function scenarioProblems(s: { bootTimeoutS: number; expectBoot?: { outcome: string; withinS?: number | undefined } | undefined; checks: unknown[] }): Problem[] {
  const out: Problem[] = [];
  const e = s.expectBoot;
  if (e?.withinS !== undefined && e.withinS > s.bootTimeoutS) {
    out.push({ path: ['expectBoot', 'withinS'], message: `at most bootTimeoutS (${s.bootTimeoutS}), got ${e.withinS}` });
  }
  if (e && e.outcome !== 'PASS' && s.checks.length > 0) {
    out.push({
      path: ['checks'],
      message: `a scenario that expects ${e.outcome} never gets an SSH session to run checks in: remove the checks, or assert the console with expectBoot.consoleMatches`,
    });
  }
  return out;
}

const digestSchema = v.custom<string>((x) => typeof x === 'string' && (x === 'auto' || /^[0-9a-f]{64}$/.test(x)), expected('"auto" or 64 lowercase hex digits'));

/** The schema of a scenario file (test-vms/scenarios/*.json). */
export const scenarioSchema = v.pipe(
  dataObject({
    description: v.optional(str(), ''),
    kernel: kernelSpecSchema,
    initrd: imageSchema({ edits: v.optional(edits), digest: v.optional(digestSchema), verity: v.optional(digestSchema), bootconfig: v.optional(nonEmptyList(str(), 'a non-empty list of bootconfig lines')) }, 'initrd'),
    disk: v.optional(imageSchema({}, 'disk')),
    append: v.optional(str(), ''),
    memoryMiB: v.optional(int(64, 65536), 512),
    bootTimeoutS: v.optional(int(1, 3600), 60),
    expectBoot: v.optional(expectBootSchema),
    checks: checksSchema,
  }),
  problems((s) => scenarioProblems(s)),
);

type ScenarioData = v.InferOutput<typeof scenarioSchema>;

const SCENARIO_HINT = 'the scenario format is in test-vms/README.md, "Scenarios"';

type ImageData = ScenarioData['initrd'] | NonNullable<ScenarioData['disk']>;

/** An image as the runner wants it: kind, and paths absolute (the file gives them relative to itself). */
function imageSpec(d: ImageData, relative: (p: string) => string): ImageSpec {
  if ('image' in d) return { kind: 'image', image: relative(d.image) };
  if ('generator' in d) {
    return { kind: 'generate', generator: d.generator, format: d.format, compress: d.compress, companions: d.companions, ...(d.early ? { early: relative(d.early) } : {}) };
  }
  const spec: ImageSpec = { kind: 'pack', manifest: relative(d.manifest), format: d.format, compress: d.compress, payloadBytes: d.payload };
  if (d.over) spec.over = relative(d.over);
  if (d.early) spec.early = relative(d.early);
  if (d.append?.length) spec.append = d.append.map(relative);
  if (d.companions) spec.companions = d.companions;
  return spec;
}

/** The validated file as a Scenario, with its kernel base resolved. */
function scenarioFrom(d: ScenarioData, file: string, base: string): Scenario {
  const relative = (p: string): string => path.resolve(path.dirname(path.resolve(file)), p);
  const initrd: InitrdSpec = imageSpec(d.initrd, relative);
  if (d.initrd.edits) initrd.edits = d.initrd.edits;
  if (d.initrd.digest) initrd.digest = d.initrd.digest;
  if (d.initrd.verity) initrd.verity = d.initrd.verity;
  if (d.initrd.bootconfig) initrd.bootconfig = d.initrd.bootconfig;
  const scenario: Scenario = {
    name: path.basename(file).replace(/\.json$/, ''),
    file: path.resolve(file),
    description: d.description,
    kernel: { base, fragments: d.kernel.fragments, patches: d.kernel.patches },
    initrd,
    append: d.append,
    memoryMiB: d.memoryMiB,
    bootTimeoutS: d.bootTimeoutS,
    checks: d.checks,
  };
  if (d.disk) scenario.disk = imageSpec(d.disk, relative);
  if (d.expectBoot) scenario.expectBoot = d.expectBoot;
  return scenario;
}

/**
 * Validates a parsed scenario file. `file` is the scenario's path: it names
 * the scenario and anchors relative paths (the manifest). A scenario without
 * kernel.base gets `primaryBase` (loadScenario passes bases.json's).
 */
export function parseScenario(json: unknown, file: string, primaryBase?: string): Scenario {
  const d = parseData(scenarioSchema, json, file, { hint: SCENARIO_HINT });
  const base = d.kernel.base ?? primaryBase;
  if (base === undefined) throw dataError(file, ['kernel', 'base'], 'missing, and no primary base was given to default to');
  const scenario = scenarioFrom(d, file, base);
  // A guest file's expected bytes come from the manifest the initrd is packed from: a given image has none.
  if (scenario.initrd.kind === 'image') {
    const ref = expectationTexts(scenario)
      .flatMap((t) => variableRefs(t.text, t.where).map((r) => ({ ...r, where: t.where })))
      .find((r) => r.kind === 'initrdFileSha256' || r.kind === 'initrdFileBytes');
    if (ref) throw new InputError(`${file}: ${ref.where} uses \${${ref.raw}}, which needs an initrd packed from a manifest; this one is an image used as is`);
  }
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

/** Read a scenario; without kernel.base it follows the primary base of kernel-patches/bases.json. */
export async function loadScenario(arg: string): Promise<Scenario> {
  const file = scenarioPath(arg);
  const d = parseData(scenarioSchema, await readScenarioFile(file), file, { hint: SCENARIO_HINT });
  return scenarioFrom(d, file, d.kernel.base ?? (await primaryBaseName()));
}

/** The file's JSON; a scenario that does not exist gets the list of those that do. */
async function readScenarioFile(file: string): Promise<unknown> {
  try {
    return await readJsonFile(file);
  } catch (err) {
    if (!(err instanceof InputError) || (err.cause as NodeJS.ErrnoException | undefined)?.code !== 'ENOENT') throw err;
    const known = await listScenarios().catch(() => []);
    throw new InputError(err.message, { hint: known.length ? `scenarios in test-vms/scenarios: ${known.join(', ')}` : undefined, cause: err.cause });
  }
}

export async function listScenarios(): Promise<string[]> {
  const names = await fs.readdir(scenariosDir);
  return names.filter((n) => n.endsWith('.json')).map((n) => n.replace(/\.json$/, '')).sort();
}
