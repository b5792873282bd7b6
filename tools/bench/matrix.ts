/**
 * The benchmark matrix (test-vms/bench/matrix.json): modes × initrd sizes,
 * as data. Parsing is pure and strict: every error names the file and the
 * entry, unknown keys are errors (a typo must not silently change a run).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InputError } from '../common/errors.js';
import { testVmsDir } from '../common/paths.js';
import { parseScenario, parseSize } from '../vm/index.js';

export const defaultMatrixPath = path.join(testVmsDir, 'bench', 'matrix.json');

export interface KernelSpec {
  base: string;
  fragments: string[];
  patches: boolean;
}

export type ImageFormat = 'cpio' | 'erofs';

export interface BenchMode {
  name: string;
  description: string;
  kernel: KernelSpec;
  /** The initrd the bootloader loads. Its manifest is the guest's, or a first stage when the mode has a disk. */
  initrd: { manifest: string; format: ImageFormat; compress: string };
  /** Two-stage: the guest and its payload go on a read-only virtio disk instead of the initrd. */
  disk?: { format: ImageFormat; compress: string };
  /** Extra kernel command line. */
  append: string;
  /** Checks (scenario format) that prove the boot took this mode's path. */
  checks: unknown[];
  /** Why the mode is not run (e.g. the series does not offer the strategy yet). */
  disabled?: string;
}

export interface SizeSpec {
  /** As written ("64M"); used in cell names and table headers. */
  label: string;
  bytes: number;
}

export interface BenchMatrix {
  /** Absolute path of the matrix file. */
  file: string;
  description: string;
  /** The guest manifest (absolute): what every mode boots in the end. */
  manifest: string;
  memoryMiB: number;
  bootTimeoutS: number;
  boots: number;
  /** The guest clock by default: QEMU -icount shift (deterministic), or undefined for the host's wall clock. */
  icount?: IcountShift;
  sizes: SizeSpec[];
  modes: BenchMode[];
  /** The extra case: /init reads one payload file at this size, in these modes. */
  read?: { size: SizeSpec; modes: string[] };
}

/** QEMU -icount shift: each guest instruction takes 2^shift ns of guest time ("auto" adapts to the host, so it is not deterministic). */
export type IcountShift = number | 'auto';

/** 0-10, "auto"; "off" (or null in the file) means the host's wall clock. */
export function parseIcountSetting(value: unknown, where: string): IcountShift | undefined {
  if (value === null || value === 'off') return undefined;
  if (value === 'auto') return 'auto';
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 10) return n;
  throw new InputError(`${where}: must be an icount shift 0-10, "auto" or "off" (got ${JSON.stringify(value)})`);
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function unknownKeys(obj: Json, known: readonly string[], where: string): void {
  for (const k of Object.keys(obj)) {
    if (k.startsWith('$') || known.includes(k)) continue;
    throw new InputError(`${where}: unknown key "${k}"`, { hint: `known keys: ${known.join(', ')}` });
  }
}

function str(obj: Json, key: string, where: string, dflt?: string): string {
  const v = obj[key];
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'string' || !v.trim()) throw new InputError(`${where}.${key}: must be a non-empty string (got ${JSON.stringify(v)})`);
  return v;
}

function int(obj: Json, key: string, where: string, min: number, max: number): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new InputError(`${where}.${key}: must be a whole number from ${min} to ${max} (got ${JSON.stringify(v)})`);
  }
  return v;
}

function format(obj: Json, where: string): ImageFormat {
  const v = obj.format;
  if (v !== 'cpio' && v !== 'erofs') throw new InputError(`${where}.format: must be one of cpio, erofs (got ${JSON.stringify(v)})`);
  return v;
}

function kernelSpec(v: unknown, where: string): KernelSpec {
  if (!isObject(v)) throw new InputError(`${where}: must be an object with base, fragments, patches`);
  unknownKeys(v, ['base', 'fragments', 'patches'], where);
  const fragments = v.fragments ?? ['guest'];
  if (!Array.isArray(fragments) || !fragments.every((f) => typeof f === 'string' && f.trim())) {
    throw new InputError(`${where}.fragments: must be a list of config fragment names (got ${JSON.stringify(fragments)})`);
  }
  const patches = v.patches ?? false;
  if (typeof patches !== 'boolean') throw new InputError(`${where}.patches: must be true or false`);
  return { base: str(v, 'base', where), fragments: fragments as string[], patches };
}

/** "0", "64M", 1048576 → a size with its label. */
export function parseSizeSpec(value: unknown, where: string): SizeSpec {
  const bytes = parseSize(value, where);
  return { label: typeof value === 'string' ? value.trim() : formatSizeLabel(bytes), bytes };
}

/** Bytes → the shortest binary label ("0", "512K", "64M", "1G"). */
export function formatSizeLabel(bytes: number): string {
  for (const [unit, f] of [['G', 1024 ** 3], ['M', 1024 ** 2], ['K', 1024]] as const) {
    if (bytes >= f && bytes % f === 0) return `${bytes / f}${unit}`;
  }
  return String(bytes);
}

const MODE_NAME = /^[a-z0-9][a-z0-9._-]*$/;

function parseMode(v: unknown, where: string, dflt: { kernel: KernelSpec; manifest: string }, rel: (p: string) => string, file: string): BenchMode {
  if (!isObject(v)) throw new InputError(`${where}: a mode must be an object`);
  unknownKeys(v, ['name', 'description', 'kernel', 'initrd', 'disk', 'append', 'checks', 'disabled'], where);
  const name = str(v, 'name', where);
  if (!MODE_NAME.test(name)) throw new InputError(`${where}.name: "${name}" must be lower case letters, digits, ".", "_" or "-"`);
  const w = `${where} (${name})`;
  if (!isObject(v.initrd)) throw new InputError(`${w}.initrd: must be an object with format and compress`);
  unknownKeys(v.initrd, ['manifest', 'format', 'compress'], `${w}.initrd`);
  let disk: BenchMode['disk'];
  if (v.disk !== undefined) {
    if (!isObject(v.disk)) throw new InputError(`${w}.disk: must be an object with format and compress`);
    unknownKeys(v.disk, ['format', 'compress'], `${w}.disk`);
    disk = { format: format(v.disk, `${w}.disk`), compress: str(v.disk, 'compress', `${w}.disk`, 'none') };
    if (v.initrd.manifest === undefined) {
      throw new InputError(`${w}.initrd.manifest: a mode with a disk boots a first stage from the initrd: name its manifest`, {
        hint: 'e.g. "../two-stage/manifest.json"; the guest and its payload go on the disk',
      });
    }
  }
  const initrd = {
    manifest: v.initrd.manifest === undefined ? dflt.manifest : rel(str(v.initrd, 'manifest', `${w}.initrd`)),
    format: format(v.initrd, `${w}.initrd`),
    compress: str(v.initrd, 'compress', `${w}.initrd`, 'none'),
  };
  const kernel = v.kernel === undefined ? dflt.kernel : kernelSpec(v.kernel, `${w}.kernel`);
  const append = v.append === undefined ? '' : typeof v.append === 'string' ? v.append : (() => {
    throw new InputError(`${w}.append: must be a string`);
  })();
  const checks = v.checks ?? [];
  if (!Array.isArray(checks)) throw new InputError(`${w}.checks: must be a list of checks (scenario format)`);
  // Validate the checks now, with the scenario parser, rather than after a boot.
  parseScenario(
    { kernel, initrd: { manifest: initrd.manifest, format: initrd.format, compress: initrd.compress }, append, checks },
    path.join(path.dirname(file), `${path.basename(file, '.json')}.modes[${name}].json`),
  );
  const mode: BenchMode = { name, description: typeof v.description === 'string' ? v.description : '', kernel, initrd, append, checks };
  if (disk) mode.disk = disk;
  if (v.disabled !== undefined) mode.disabled = str(v, 'disabled', w);
  return mode;
}

/** Validates a parsed matrix file; `file` names it in errors and anchors relative manifests. */
export function parseMatrix(json: unknown, file: string): BenchMatrix {
  const where = path.basename(file);
  if (!isObject(json)) throw new InputError(`${where}: the matrix must be a JSON object`);
  unknownKeys(json, ['description', 'kernel', 'manifest', 'memoryMiB', 'bootTimeoutS', 'boots', 'icount', 'sizes', 'modes', 'read'], where);
  const rel = (p: string): string => path.resolve(path.dirname(path.resolve(file)), p);
  const kernel = kernelSpec(json.kernel, `${where}.kernel`);
  const manifest = rel(str(json, 'manifest', where));
  if (!Array.isArray(json.sizes) || json.sizes.length === 0) throw new InputError(`${where}.sizes: must be a non-empty list of sizes ("0", "64M", "1G")`);
  const sizes = json.sizes.map((s, i) => parseSizeSpec(s, `${where}.sizes[${i}]`));
  if (!Array.isArray(json.modes) || json.modes.length === 0) throw new InputError(`${where}.modes: must be a non-empty list of modes`);
  const modes = json.modes.map((m, i) => parseMode(m, `${where}.modes[${i}]`, { kernel, manifest }, rel, file));
  const seen = new Set<string>();
  for (const m of modes) {
    if (seen.has(m.name)) throw new InputError(`${where}.modes: two modes are named "${m.name}"`);
    seen.add(m.name);
  }
  const matrix: BenchMatrix = {
    file: path.resolve(file),
    description: typeof json.description === 'string' ? json.description : '',
    manifest,
    memoryMiB: int(json, 'memoryMiB', where, 64, 65536),
    bootTimeoutS: int(json, 'bootTimeoutS', where, 1, 3600),
    boots: int(json, 'boots', where, 1, 100),
    sizes,
    modes,
  };
  const icount = json.icount === undefined ? undefined : parseIcountSetting(json.icount, `${where}.icount`);
  if (icount !== undefined) matrix.icount = icount;
  if (json.read !== undefined) {
    const r = json.read;
    const w = `${where}.read`;
    if (!isObject(r)) throw new InputError(`${w}: must be an object with size and modes`);
    unknownKeys(r, ['size', 'modes'], w);
    const size = parseSizeSpec(r.size, `${w}.size`);
    if (size.bytes === 0) throw new InputError(`${w}.size: the read case needs a payload to read (got 0)`);
    const names = r.modes ?? modes.map((m) => m.name);
    if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) throw new InputError(`${w}.modes: must be a list of mode names`);
    for (const n of names as string[]) {
      if (!seen.has(n)) throw new InputError(`${w}.modes: no mode is named "${n}"`, { hint: `modes: ${[...seen].join(', ')}` });
    }
    matrix.read = { size, modes: names as string[] };
  }
  return matrix;
}

export async function loadMatrix(file = defaultMatrixPath): Promise<BenchMatrix> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(`bench matrix ${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${file}: not valid JSON: ${(err as Error).message}`);
  }
  return parseMatrix(json, file);
}
