/**
 * Planning a benchmark run: which cells (mode × size, plus the read case),
 * which images to pack (each once, shared by every cell and boot that needs
 * it), and in which order to boot. Pure: the decisions are unit-tested, the
 * runner acts on them.
 */
import path from 'node:path';
import { InputError } from '../common/errors.js';
import { planPayload } from '../initrd/index.js';
import { formatSizeLabel, type BenchMatrix, type BenchMode, type ImageFormat, type KernelSpec, type SizeSpec } from './matrix.js';

/** One image to pack: the content inputs that make it (the cache key hashes these plus the files they name). */
export interface ImageSpec {
  /** Readable and unique within a plan: "guest-cpio-gzip-64M", "two-stage-cpio-gzip-0". */
  id: string;
  manifest: string;
  format: ImageFormat;
  compress: string;
  payloadBytes: number;
  /** The workspace SSH key goes into the image that holds the real guest. */
  sshKey: boolean;
}

export interface BenchCell {
  /** "kernel-bdev/64M", "cpio-gzip/256M+read". */
  id: string;
  mode: string;
  size: SizeSpec;
  /** The read case: /init reads `readFile` right after its first marker. */
  read: boolean;
  readFile?: string;
  kernel: KernelSpec;
  initrd: ImageSpec;
  disk?: ImageSpec;
  /** The whole extra command line (the mode's, plus iofs.read=… for the read case). */
  append: string;
  /** Add initrd_erofs_sha256= with the packed image's own digest. */
  digest?: boolean;
  /** Append the image's hash tree and add initrd_erofs_verity= with its root. */
  verity?: boolean;
  checks: unknown[];
}

export interface BootTask {
  cell: BenchCell;
  /** 1-based. */
  boot: number;
}

export interface BenchPlan {
  cells: BenchCell[];
  images: ImageSpec[];
  /** Round-robin: every cell's first boot, then every cell's second… so slow drift in host load spreads over all cells. */
  boots: BootTask[];
  bootsPerCell: number;
  /** Modes the matrix has but this run leaves out, and why. */
  skipped: Array<{ mode: string; reason: string }>;
}

export interface Selection {
  /** Mode names (default: every enabled mode). Naming a disabled mode is an error that says why it is disabled. */
  modes?: string[];
  /** Sizes (default: the matrix's). */
  sizes?: SizeSpec[];
  /** Boots per cell (default: the matrix's). */
  boots?: number;
  /** Include the read case (default true, when its size and modes are selected). */
  read?: boolean;
  /** The guest's payload directory (the manifest's "payload", default /payload). */
  payloadDir?: string;
}

/** The file the read case reads: the largest payload file (deterministic for a size). */
export function readFileFor(sizeBytes: number, payloadDir = '/payload'): string {
  const files = planPayload(sizeBytes);
  if (files.length === 0) throw new InputError(`the read case needs a payload, got size ${sizeBytes}`);
  let largest = files[0]!;
  for (const f of files) if (f.size > largest.size) largest = f;
  return `${payloadDir.replace(/\/+$/, '')}/${largest.rel}`;
}

function manifestTag(manifest: string, guestManifest: string): string {
  return manifest === guestManifest ? 'guest' : path.basename(path.dirname(manifest));
}

function imageSpec(manifest: string, guestManifest: string, format: ImageFormat, compress: string, payloadBytes: number, sshKey: boolean): ImageSpec {
  const id = `${manifestTag(manifest, guestManifest)}-${format}-${compress.replace(/[^A-Za-z0-9]+/g, '_')}-${formatSizeLabel(payloadBytes)}${sshKey ? '' : '-nokey'}`;
  return { id, manifest, format, compress, payloadBytes, sshKey };
}

function cellFor(m: BenchMode, size: SizeSpec, matrix: BenchMatrix, read: string | undefined): BenchCell {
  // The real guest (with its payload and the SSH key) is the initrd, or the disk behind a first stage.
  const guest = m.disk ?? m.initrd;
  const guestImage = imageSpec(matrix.manifest, matrix.manifest, guest.format, guest.compress, size.bytes, true);
  const cell: BenchCell = {
    id: `${m.name}/${size.label}${read ? '+read' : ''}`,
    mode: m.name,
    size,
    read: read !== undefined,
    kernel: m.kernel,
    initrd: m.disk ? imageSpec(m.initrd.manifest, matrix.manifest, m.initrd.format, m.initrd.compress, 0, false) : guestImage,
    append: [m.append.trim(), read ? `iofs.read=${read}` : ''].filter(Boolean).join(' '),
    checks: m.checks,
  };
  if (m.disk) cell.disk = guestImage;
  if (m.digest) cell.digest = true;
  if (m.verity) cell.verity = true;
  if (read) cell.readFile = read;
  return cell;
}

export function planBench(matrix: BenchMatrix, sel: Selection = {}): BenchPlan {
  const where = path.basename(matrix.file);
  const byName = new Map(matrix.modes.map((m) => [m.name, m]));
  const skipped: BenchPlan['skipped'] = [];
  let modes: BenchMode[];
  if (sel.modes) {
    if (sel.modes.length === 0) throw new InputError('no modes selected', { hint: `modes in ${where}: ${[...byName.keys()].join(', ')}` });
    modes = sel.modes.map((n) => {
      const m = byName.get(n);
      if (!m) throw new InputError(`unknown mode "${n}"`, { hint: `modes in ${where}: ${[...byName.keys()].join(', ')}` });
      if (m.disabled) throw new InputError(`mode "${n}" is disabled in ${where}: ${m.disabled}`);
      return m;
    });
    if (new Set(sel.modes).size !== sel.modes.length) throw new InputError(`a mode is named twice in ${sel.modes.join(',')}`);
  } else {
    modes = matrix.modes.filter((m) => !m.disabled);
    for (const m of matrix.modes) if (m.disabled) skipped.push({ mode: m.name, reason: m.disabled });
  }
  const sizes = sel.sizes ?? matrix.sizes;
  if (sizes.length === 0) throw new InputError('no sizes selected');
  if (new Set(sizes.map((s) => s.bytes)).size !== sizes.length) throw new InputError(`a size is named twice in ${sizes.map((s) => s.label).join(',')}`);
  const bootsPerCell = sel.boots ?? matrix.boots;
  if (!Number.isInteger(bootsPerCell) || bootsPerCell < 1) throw new InputError(`boots per cell must be a whole number, at least 1 (got ${bootsPerCell})`);

  const cells: BenchCell[] = [];
  for (const m of modes) for (const size of [...sizes].sort((a, b) => a.bytes - b.bytes)) cells.push(cellFor(m, size, matrix, undefined));
  const r = matrix.read;
  if (r && sel.read !== false && sizes.some((s) => s.bytes === r.size.bytes)) {
    const file = readFileFor(r.size.bytes, sel.payloadDir);
    for (const m of modes) if (r.modes.includes(m.name)) cells.push(cellFor(m, r.size, matrix, file));
  }
  const images = new Map<string, ImageSpec>();
  for (const c of cells) for (const img of [c.initrd, c.disk]) if (img) images.set(img.id, img);
  const boots: BootTask[] = [];
  for (let b = 1; b <= bootsPerCell; b++) for (const cell of cells) boots.push({ cell, boot: b });
  // Small images first: a problem shows up before the long packs.
  const ordered = [...images.values()].sort((a, b) => a.payloadBytes - b.payloadBytes || a.id.localeCompare(b.id));
  return { cells, images: ordered, boots, bootsPerCell, skipped };
}

/**
 * How many boots may run at once when the user does not say. One, unless
 * the guest clock is deterministic (a numeric -icount shift): then guest
 * numbers count instructions and sharing the host costs wall time only.
 * Each TCG guest keeps one host core busy, and each needs its RAM plus
 * QEMU's own (~512 MiB) free, or the host would swap and wall times with it.
 */
export function defaultBenchJobs(o: { icountShift: number | 'auto' | undefined; cpus: number; freeMiB: number; memoryMiB: number }): number {
  if (typeof o.icountShift !== 'number') return 1;
  const byMemory = Math.floor(o.freeMiB / (o.memoryMiB + 512));
  return Math.max(1, Math.min(o.cpus, byMemory));
}
