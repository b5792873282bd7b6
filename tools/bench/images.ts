/**
 * The benchmark's images, packed once and reused by every boot and every
 * later run: <cache>/bench/images/<key>/<file>, where the key hashes the
 * content inputs (the manifest, the files it copies, the host binaries'
 * identity, format, compression, payload size, the SSH key, the packer's
 * own source). Packing 1 GiB takes minutes; booting it takes seconds.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../common/atomic.js';
import { sha256File } from '../common/hash.js';
import { log } from '../common/log.js';
import { cacheDir, repoRoot } from '../common/paths.js';
import { hostPathOf, loadManifest, packInitrd, sourceDateEpoch, type PackResult, type Sysroot } from '../initrd/index.js';
import type { ImageSpec } from './plan.js';

export interface PackedImage extends PackResult {
  spec: ImageSpec;
  key: string;
  /** false: packed by this run. */
  cached: boolean;
  packS?: number;
}

export function imagesDir(cache = cacheDir()): string {
  return path.join(cache, 'bench', 'images');
}

const CPIO_SUFFIX: Record<string, string> = { none: '', gzip: '.gz', zstd: '.zst', lz4: '.lz4', xz: '.xz' };

/** `image.cpio.gz`, `image.erofs.lz4hc`: the name says what it is. */
export function imageFileName(spec: Pick<ImageSpec, 'format' | 'compress'>): string {
  const algo = spec.compress.split(',')[0] ?? 'none';
  if (spec.format === 'cpio') return `image.cpio${CPIO_SUFFIX[algo] ?? `.${algo}`}`;
  return `image.erofs${algo === 'none' ? '' : `.${spec.compress.replace(/[^A-Za-z0-9]+/g, '-')}`}`;
}

/** The packer's own source: a change to how images are made must not reuse old ones. */
async function packerSourceHash(): Promise<string> {
  const dir = path.join(repoRoot, 'tools', 'initrd');
  const names = (await fs.readdir(dir)).filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts')).sort();
  const h = createHash('sha256');
  for (const n of names) h.update(`${n}\0${await sha256File(path.join(dir, n))}\0`);
  return h.digest('hex');
}

/**
 * The cache key of an image: sha256 over everything that decides its bytes.
 * Host binaries (busybox, dropbear, their libraries) are identified by path,
 * size and mtime, which a package upgrade changes, without reading them.
 */
export async function imageKey(spec: ImageSpec, publicKey: string | undefined, sysroot?: Sysroot): Promise<string> {
  const manifest = await loadManifest(spec.manifest);
  const h = createHash('sha256');
  const put = (k: string, v: string | number): void => void h.update(`${k}=${v}\n`);
  put('packer', await packerSourceHash());
  put('manifest', await sha256File(spec.manifest));
  for (const f of manifest.files) put(`file ${f.dst}`, await sha256File(path.resolve(path.dirname(manifest.path), f.src)));
  // Another architecture's binaries come from its sysroot (x86_64 keys stay as they were).
  if (sysroot) put('sysroot', `${sysroot.root} ${sysroot.multiarch}`);
  for (const b of manifest.binaries) {
    const st = await fs.stat(hostPathOf(b.path, sysroot));
    put(`binary ${b.path}`, `${st.size}:${st.mtimeMs}`);
  }
  put('format', spec.format);
  put('compress', spec.compress);
  put('payloadBytes', spec.payloadBytes);
  put('sshKey', spec.sshKey && publicKey ? publicKey.trim() : '-');
  put('sourceDateEpoch', sourceDateEpoch());
  return h.digest('hex').slice(0, 16);
}

/** The packed image for `spec`: from the cache when its key matches, else packed now (atomically). */
export async function ensureImage(
  spec: ImageSpec,
  publicKey: string | undefined,
  opts: { cache?: string; signal?: AbortSignal; sysroot?: Sysroot } = {},
): Promise<PackedImage> {
  const key = await imageKey(spec, publicKey, opts.sysroot);
  const dir = path.join(imagesDir(opts.cache), `${spec.id}-${key}`);
  const output = path.join(dir, imageFileName(spec));
  const meta = path.join(dir, 'image.json');
  const existing = await fs.readFile(meta, 'utf8').then((t) => JSON.parse(t) as PackResult, () => undefined);
  const st = await fs.stat(output).catch(() => undefined);
  if (existing && st?.size === existing.bytes) return { ...existing, output, spec, key, cached: true };
  log.step(`bench: packing ${spec.id} (${spec.format} ${spec.compress}, payload ${spec.payloadBytes} bytes)`);
  const t0 = Date.now();
  const packed = await packInitrd({
    manifestPath: spec.manifest,
    format: spec.format,
    compress: spec.compress,
    payloadBytes: spec.payloadBytes,
    authorizedKeys: spec.sshKey && publicKey ? [publicKey] : [],
    output,
    signal: opts.signal,
    sysroot: opts.sysroot,
  });
  const packS = Math.round((Date.now() - t0) / 100) / 10;
  // image.json last: its presence (with a matching size) is what marks the image complete.
  await writeFileAtomic(meta, `${JSON.stringify({ ...packed, spec, key, packS }, null, 2)}\n`);
  return { ...packed, spec, key, cached: false, packS };
}
