/**
 * The benchmark matrix (test-vms/bench/matrix.json): modes × initrd sizes,
 * as data, read through a schema (tools/common/schema.ts): every error names
 * the file and the key, unknown keys are errors (a typo must not silently
 * change a run).
 */
import path from 'node:path';
import * as v from 'valibot';
import { InputError } from '../common/errors.js';
import { testVmsDir } from '../common/paths.js';
import { bool, dataObject, duplicateNames, expected, list, must, nonEmptyList, nonEmptyString, oneOf, int, parseData, problems, readJsonFile, shown, str } from '../common/schema.js';
import { checksSchema, parseSize, sizeTextSchema } from '../vm/index.js';

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
  /** initrd_erofs_sha256= with the image's own digest (the kernel verifies the image before mounting it). */
  digest?: boolean;
  /** initrd_erofs_verity= with the root of the image's hash tree, appended to the initrd (verified block by block as read). */
  verity?: boolean;
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

const ICOUNT_WANTED = 'an icount shift 0-10, "auto" or "off"';

/** 0-10, "auto"; "off" (or null in the file) means the host's wall clock; `valid: false` for anything else. */
function readIcount(value: unknown): { valid: boolean; shift?: IcountShift } {
  if (value === null || value === 'off') return { valid: true };
  if (value === 'auto') return { valid: true, shift: 'auto' };
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 10 ? { valid: true, shift: n } : { valid: false };
}

/** 0-10, "auto"; "off" (or null in the file) means the host's wall clock. */
export function parseIcountSetting(value: unknown, where: string): IcountShift | undefined {
  const r = readIcount(value);
  if (!r.valid) throw new InputError(`${where}: expected ${ICOUNT_WANTED}, got ${shown(value)}`);
  return r.shift;
}

/** "0", "64M", 1048576 → a size with its label. */
export function parseSizeSpec(value: unknown, where: string): SizeSpec {
  return sizeSpec(value, parseSize(value, where));
}

const sizeSpec = (value: unknown, bytes: number): SizeSpec => ({ label: typeof value === 'string' ? value.trim() : formatSizeLabel(bytes), bytes });

/** Bytes → the shortest binary label ("0", "512K", "64M", "1G"). */
export function formatSizeLabel(bytes: number): string {
  for (const [unit, f] of [['G', 1024 ** 3], ['M', 1024 ** 2], ['K', 1024]] as const) {
    if (bytes >= f && bytes % f === 0) return `${bytes / f}${unit}`;
  }
  return String(bytes);
}

const MODE_NAME = /^[a-z0-9][a-z0-9._-]*$/;

const icountSchema = v.pipe(
  v.custom<unknown>((x) => readIcount(x).valid, expected(ICOUNT_WANTED)),
  v.transform((x) => readIcount(x).shift),
);

const sizeSpecSchema = v.pipe(
  sizeTextSchema,
  v.transform((x) => sizeSpec(x, parseSize(x, 'size'))),
);

const kernelSchema = dataObject({
  base: nonEmptyString(),
  fragments: v.optional(list(nonEmptyString(), 'a list of config fragment names'), ['guest']),
  patches: v.optional(bool(), false),
});

const imageFormat = oneOf(['cpio', 'erofs']);

const modeSchema = v.pipe(
  dataObject({
    name: v.pipe(nonEmptyString(), must((n: string) => MODE_NAME.test(n), (n) => `${shown(n)} must be lower case letters, digits, ".", "_" or "-"`)),
    description: v.optional(str(), ''),
    kernel: v.optional(kernelSchema),
    initrd: dataObject({ manifest: v.optional(nonEmptyString()), format: imageFormat, compress: v.optional(nonEmptyString(), 'none') }),
    disk: v.optional(dataObject({ format: imageFormat, compress: v.optional(nonEmptyString(), 'none') })),
    append: v.optional(str(), ''),
    digest: v.optional(bool()),
    verity: v.optional(bool()),
    // The scenario schema's checks, validated now rather than after a boot.
    checks: v.optional(checksSchema, []),
    disabled: v.optional(nonEmptyString()),
  }),
  problems((m) =>
    m.disk && m.initrd.manifest === undefined
      ? {
          path: ['initrd', 'manifest'],
          message: 'a mode with a disk boots a first stage from the initrd: name its manifest (e.g. "../two-stage/manifest.json"; the guest and its payload go on the disk)',
        }
      : undefined,
  ),
);

const readSchema = dataObject({
  size: v.pipe(sizeSpecSchema, must((s: SizeSpec) => s.bytes > 0, () => 'the read case needs a payload to read (got 0)')),
  modes: v.optional(list(str(), 'a list of mode names')),
});

/** The read case may only name modes the matrix has. */
function readProblems(m: { modes: Array<{ name: string }>; read?: { modes?: string[] | undefined } | undefined }) {
  const names = m.modes.map((x) => x.name);
  return (m.read?.modes ?? []).flatMap((n, i) =>
    names.includes(n) ? [] : [{ path: ['read', 'modes', i], message: `no mode is named ${shown(n)} (modes: ${names.join(', ')})` }],
  );
}

/** The schema of test-vms/bench/matrix.json. */
export const matrixSchema = v.pipe(
  dataObject({
    description: v.optional(str(), ''),
    kernel: kernelSchema,
    manifest: nonEmptyString(),
    memoryMiB: int(64, 65536),
    bootTimeoutS: int(1, 3600),
    boots: int(1, 100),
    icount: v.optional(icountSchema),
    sizes: nonEmptyList(sizeSpecSchema, 'a non-empty list of sizes ("0", "64M", "1G")'),
    modes: v.pipe(nonEmptyList(modeSchema, 'a non-empty list of modes'), problems((modes) => duplicateNames(modes, (m) => m.name, 'modes'))),
    read: v.optional(readSchema),
  }),
  problems((m) => readProblems(m)),
);

type MatrixData = v.InferOutput<typeof matrixSchema>;

/** A mode as the planner wants it: the matrix's kernel and guest unless it says otherwise, manifests absolute. */
function modeFrom(m: MatrixData['modes'][number], d: MatrixData, rel: (p: string) => string): BenchMode {
  const mode: BenchMode = {
    name: m.name,
    description: m.description,
    kernel: m.kernel ?? d.kernel,
    initrd: { manifest: rel(m.initrd.manifest ?? d.manifest), format: m.initrd.format, compress: m.initrd.compress },
    append: m.append,
    checks: m.checks,
  };
  if (m.digest) mode.digest = true;
  if (m.verity) mode.verity = true;
  if (m.disk) mode.disk = m.disk;
  if (m.disabled !== undefined) mode.disabled = m.disabled;
  return mode;
}

/** Validates a parsed matrix file; `file` names it in errors and anchors relative manifests. */
export function parseMatrix(json: unknown, file: string): BenchMatrix {
  const d = parseData(matrixSchema, json, file, { hint: 'the matrix format is in test-vms/bench/README.md' });
  const rel = (p: string): string => path.resolve(path.dirname(path.resolve(file)), p);
  const matrix: BenchMatrix = {
    file: path.resolve(file),
    description: d.description,
    manifest: rel(d.manifest),
    memoryMiB: d.memoryMiB,
    bootTimeoutS: d.bootTimeoutS,
    boots: d.boots,
    sizes: d.sizes,
    modes: d.modes.map((m) => modeFrom(m, d, rel)),
  };
  if (d.icount !== undefined) matrix.icount = d.icount;
  if (d.read) matrix.read = { size: d.read.size, modes: d.read.modes ?? d.modes.map((m) => m.name) };
  return matrix;
}

export async function loadMatrix(file = defaultMatrixPath): Promise<BenchMatrix> {
  return parseMatrix(await readJsonFile(file), file);
}
