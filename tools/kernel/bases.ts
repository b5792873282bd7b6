/**
 * Kernel bases are data: kernel-patches/bases.json names each base the series
 * is maintained on, with its version and where its source comes from.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InputError } from '../common/errors.js';
import { kernelPatchesDir } from '../common/paths.js';

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

const fields = ['version', 'debianPackage', 'tarball', 'topDir', 'patches'] as const;
const suiteFields = ['debianSuite', 'debianVersion', 'debianSha256'] as const;

/** The git tag marking the pristine base commit in a prepared tree. */
export function baseTag(base: Pick<KernelBase, 'name'>): string {
  return `base-${base.name}`;
}

/** Absolute path of a base's series directory (kernel-patches/<patches>). */
export function patchesDir(base: KernelBase, root = kernelPatchesDir): string {
  return path.resolve(root, base.patches);
}

/**
 * Validate the parsed content of bases.json. Pure: `file` only names the
 * source in error messages.
 */
export function parseBases(data: unknown, file = 'bases.json'): Map<string, KernelBase> {
  return parseBaseSet(data, file).bases;
}

/** parseBases, with the primary base ("primary": a key of "bases"). Pure. */
export function parseBaseSet(data: unknown, file = 'bases.json'): BaseSet {
  const fail = (what: string): never => {
    throw new InputError(`${file}: ${what}`, {
      hint: 'each entry of "bases" needs string fields: ' + fields.join(', '),
    });
  };
  if (typeof data !== 'object' || data === null || Array.isArray(data)) fail('expected a JSON object');
  const bases = (data as Record<string, unknown>).bases;
  if (typeof bases !== 'object' || bases === null || Array.isArray(bases)) fail('missing object "bases"');
  const out = new Map<string, KernelBase>();
  for (const [name, entry] of Object.entries(bases as Record<string, unknown>)) {
    if (!/^[0-9A-Za-z][0-9A-Za-z._-]*$/.test(name)) {
      fail(`base name ${JSON.stringify(name)} must be letters, digits, '.', '_' or '-' (it names a directory and a git tag)`);
    }
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) fail(`bases.${name}: expected an object`);
    const e = entry as Record<string, unknown>;
    for (const f of fields) {
      if (typeof e[f] !== 'string' || (e[f] as string).length === 0) {
        fail(`bases.${name}.${f}: missing or not a non-empty string`);
      }
    }
    const known: string[] = [...fields, ...suiteFields, 'notApplicable'];
    const suite = suiteFields.filter((f) => e[f] !== undefined);
    if (suite.length > 0 && suite.length < suiteFields.length) {
      fail(`bases.${name}: ${suiteFields.join(', ')} go together (missing ${suiteFields.filter((f) => e[f] === undefined).join(', ')})`);
    }
    for (const f of suite) {
      if (typeof e[f] !== 'string' || (e[f] as string).length === 0) fail(`bases.${name}.${f}: missing or not a non-empty string`);
    }
    if (typeof e.debianSha256 === 'string' && !/^[0-9a-f]{64}$/.test(e.debianSha256)) fail(`bases.${name}.debianSha256: expected 64 hex digits`);
    const unknown = Object.keys(e).filter((k) => !known.includes(k) && !k.startsWith('$'));
    if (unknown.length > 0) fail(`bases.${name}: unknown field(s) ${unknown.join(', ')} (valid: ${known.join(', ')})`);
    const na = e.notApplicable ?? {};
    if (typeof na !== 'object' || na === null || Array.isArray(na)) fail(`bases.${name}.notApplicable: expected an object {"<scenario>": "<why>"}`);
    for (const [scenario, why] of Object.entries(na as Record<string, unknown>)) {
      if (typeof why !== 'string' || why.trim() === '') fail(`bases.${name}.notApplicable.${scenario}: give the reason as a non-empty string`);
    }
    const base: KernelBase = {
      name,
      version: e.version as string,
      debianPackage: e.debianPackage as string,
      tarball: e.tarball as string,
      topDir: e.topDir as string,
      patches: e.patches as string,
      notApplicable: { ...(na as Record<string, string>) },
      ...(suite.length ? { debianSuite: e.debianSuite as string, debianVersion: e.debianVersion as string, debianSha256: e.debianSha256 as string } : {}),
    };
    if (!/^\d+\.\d+(\.\d+)?/.test(base.version)) fail(`bases.${name}.version: ${JSON.stringify(base.version)} is not a kernel version like 6.12.117`);
    if (!path.isAbsolute(base.tarball)) fail(`bases.${name}.tarball: must be an absolute path, got ${base.tarball}`);
    if (base.topDir.includes('/') || base.topDir === '..' || base.topDir === '.') fail(`bases.${name}.topDir: must be a single directory name`);
    if (path.isAbsolute(base.patches) || base.patches.split('/').includes('..')) fail(`bases.${name}.patches: must be a directory inside kernel-patches/`);
    out.set(name, base);
  }
  if (out.size === 0) fail('"bases" is empty');
  const primary = (data as Record<string, unknown>).primary;
  if (typeof primary !== 'string' || !out.has(primary)) {
    fail(`"primary": expected the name of one of the bases (${[...out.keys()].join(', ')}), got ${JSON.stringify(primary)}`);
  }
  return { bases: out, primary: primary as string };
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
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${file}: invalid JSON: ${(err as Error).message}`);
  }
  return parseBaseSet(data, file);
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
