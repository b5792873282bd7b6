/**
 * Kernel bases are data: kernel-patches/bases.json names each base the series
 * is maintained on, with its version and where its source comes from.
 */
import path from 'node:path';
import * as v from 'valibot';
import { InputError } from '../common/errors.js';
import { kernelPatchesDir } from '../common/paths.js';
import { dataObject, dataRecord, must, nonEmptyString, parseData, problems, readJsonFile, shown, str } from '../common/schema.js';

export interface KernelBase {
  /** The key in bases.json, e.g. "6.12": what `--base` takes. */
  name: string;
  /** Full upstream version of the tarball, e.g. "6.12.117". */
  version: string;
  /** Debian package that installs `tarball` (named when it is missing). */
  debianPackage: string;
  /** Absolute path of the source tarball. */
  tarball: string;
  /** The single top-level directory inside the tarball. */
  topDir: string;
  /** Directory of the series for this base, relative to kernel-patches/. */
  patches: string;
  /**
   * Scenarios that cannot apply to this base, each with the reason (e.g. a
   * backend the base's kernel cannot offer). `patches status` lists them as
   * n/a instead of running them. Empty when the base can do everything.
   */
  notApplicable?: Record<string, string>;
  /**
   * Where the Debian package comes from when the machine's own apt suites
   * do not carry it (7.3: trixie-backports). Then `tarball` is its path
   * inside the .deb, which `iofs kernel prepare` downloads through a private
   * sources list into the cache and extracts there (see tools/kernel/source.ts).
   */
  debianSuite?: string;
  /** The Debian package version last verified with the series (with debianSuite). */
  debianVersion?: string;
  /** sha256 of that .deb, as the suite's index gave it (with debianSuite). */
  debianSha256?: string;
}

/** Every base in bases.json, and the one verbs use when --base is not given. */
export interface BaseSet {
  bases: Map<string, KernelBase>;
  primary: string;
}

export const defaultBasesFile = path.join(kernelPatchesDir, 'bases.json');

/** The git tag marking the pristine base commit in a prepared tree. */
export function baseTag(base: Pick<KernelBase, 'name'>): string {
  return `base-${base.name}`;
}

/** Absolute path of a base's series directory (kernel-patches/<patches>). */
export function patchesDir(base: KernelBase, root = kernelPatchesDir): string {
  return path.resolve(root, base.patches);
}

const BASE_NAME = /^[0-9A-Za-z][0-9A-Za-z._-]*$/;
const SUITE_FIELDS = ['debianSuite', 'debianVersion', 'debianSha256'] as const;

const baseName = v.pipe(v.string(), must((n) => BASE_NAME.test(n), () => "a base name is letters, digits, '.', '_' or '-' (it names a directory and a git tag)"));

/** The Debian suite fields name one .deb: all three or none. */
function suiteTogether(e: Partial<Record<(typeof SUITE_FIELDS)[number], string>>): string | undefined {
  const given = SUITE_FIELDS.filter((f) => e[f] !== undefined);
  if (given.length === 0 || given.length === SUITE_FIELDS.length) return undefined;
  return `${SUITE_FIELDS.join(', ')} go together (missing ${SUITE_FIELDS.filter((f) => e[f] === undefined).join(', ')})`;
}

const baseEntry = v.pipe(
  dataObject({
    version: v.pipe(nonEmptyString(), must((s) => /^\d+\.\d+(\.\d+)?/.test(s), (s) => `${shown(s)} is not a kernel version like 6.12.117`)),
    debianPackage: nonEmptyString(),
    tarball: v.pipe(nonEmptyString(), must(path.isAbsolute, (s) => `must be an absolute path, got ${s}`)),
    topDir: v.pipe(nonEmptyString(), must((s) => !s.includes('/') && s !== '.' && s !== '..', () => 'must be a single directory name')),
    // Relative and without "..": the series must live in this repository.
    patches: v.pipe(nonEmptyString(), must((s) => !path.isAbsolute(s) && !s.split('/').includes('..'), () => 'must be a directory inside kernel-patches/')),
    notApplicable: v.optional(dataRecord(v.string(), nonEmptyString('the reason as a non-empty string'), 'an object {"<scenario>": "<why>"}'), {}),
    debianSuite: v.optional(nonEmptyString()),
    debianVersion: v.optional(nonEmptyString()),
    debianSha256: v.optional(v.pipe(str(), must((s) => /^[0-9a-f]{64}$/.test(s), () => 'expected 64 hex digits'))),
  }),
  problems((e) => suiteTogether(e)),
);

const REQUIRED_FIELDS = 'version, debianPackage, tarball, topDir, patches';

/** The schema of kernel-patches/bases.json. */
export const basesFileSchema = v.pipe(
  dataObject({ primary: v.optional(str()), bases: dataRecord(baseName, baseEntry) }),
  problems((d) => {
    const names = Object.keys(d.bases);
    if (names.length === 0) return { path: ['bases'], message: 'expected at least one base' };
    if (d.primary !== undefined && names.includes(d.primary)) return undefined;
    return { path: ['primary'], message: `expected the name of one of the bases (${names.join(', ')}), got ${shown(d.primary)}` };
  }),
);

/**
 * Validate the parsed content of bases.json. Pure: `file` only names the
 * source in error messages.
 */
export function parseBases(data: unknown, file = 'bases.json'): Map<string, KernelBase> {
  return parseBaseSet(data, file).bases;
}

/** parseBases, with the primary base ("primary": a key of "bases"). Pure. */
export function parseBaseSet(data: unknown, file = 'bases.json'): BaseSet {
  const d = parseData(basesFileSchema, data, file, { hint: `each base needs ${REQUIRED_FIELDS}; the format is in kernel-patches/bases.json` });
  const bases = new Map<string, KernelBase>();
  for (const [name, { notApplicable, ...e }] of Object.entries(d.bases)) bases.set(name, { name, ...e, notApplicable: { ...notApplicable } });
  return { bases, primary: d.primary as string };
}

/** Read and validate bases.json (default kernel-patches/bases.json). */
export async function loadBases(file = defaultBasesFile): Promise<Map<string, KernelBase>> {
  return (await loadBaseSet(file)).bases;
}

/** The primary base's name: what every verb uses when --base is not given. */
export async function primaryBaseName(file = defaultBasesFile): Promise<string> {
  return (await loadBaseSet(file)).primary;
}

/** Read and validate bases.json with its primary base. */
export async function loadBaseSet(file = defaultBasesFile): Promise<BaseSet> {
  return parseBaseSet(await readJsonFile(file), file);
}

/** Look up one base by name; the error lists the valid names. */
export async function getBase(name: string, file = defaultBasesFile): Promise<KernelBase> {
  const bases = await loadBases(file);
  const base = bases.get(name);
  if (!base) {
    throw new InputError(`unknown base ${JSON.stringify(name)} (valid: ${[...bases.keys()].join(', ')})`, {
      hint: `bases are defined in ${file}`,
    });
  }
  return base;
}
