/**
 * Public surface of the initrd packer: guest manifests → cpio or EROFS initrds,
 * plus import (existing initramfs/tarball → tree) and inspect.
 */
import { promises as fs } from 'node:fs';
import { InputError } from '../common/errors.js';
import { buildTree, expectedFile, type BuildOptions } from './build.js';
import { importTree } from './importer.js';
import { loadManifest, type Manifest } from './manifest.js';
import { checkCompression, parseFormat, writeImage, type ImageFormat, type InitrdFormat, type WriteResult } from './pack.js';
import { stageTreeTo } from './erofs.js';
import { erofsImageDigest, type ErofsDigest } from './digest.js';
import type { Tree } from './tree.js';
import type { Sysroot } from './elf.js';

export type { InitrdFormat, ImageFormat } from './pack.js';
export { INITRD_FORMATS, DISK_FORMATS, LAYER_ALIGN, parseFormat, writeCpioImage, writeErofsImage, writeImage, sourceDateEpoch, hashFile } from './pack.js';
export { loadManifest, parseManifest, type Manifest } from './manifest.js';
export { buildTree, expectedFile, installHostPath, type BuildOptions } from './build.js';
export { Tree, guestPath, contentChunks, type TreeEntry, type ContentSource } from './tree.js';
export { libraryClosure, parseElf, readElf, ldSoConfDirs, DEFAULT_LIB_DIRS, defaultLibDirs, hostPathOf, type LibraryClosure, type ElfInfo, type Sysroot } from './elf.js';
export { archSysroot, ensureSysroot, planSysrootDir, type SysrootRecord } from './sysroot.js';
export { cpioArchiveBytes, cpioChunks, readCpioArchive, readCpioStream, ByteReader, type CpioEntry } from './cpio.js';
export { CPIO_COMPRESSIONS, parseCpioCompression, detectFormat, type CompressionSpec } from './compress.js';
export { EROFS_COMPRESSIONS, EROFS_MAGIC, EROFS_SB_OFFSET, EROFS_SB_SIZE, hasErofsMagic, parseErofsCompression, parseErofsSuperblock, mkfsErofs, stageTreeTo, uuidFromHash, type ErofsSuperblock } from './erofs.js';
export { scanCpioImage, type SegmentInfo } from './segments.js';
export { inspectImage, formatReport, type ImageReport } from './inspect.js';
export { DIGEST_PARAMETER, erofsImageDigest, type ErofsDigest } from './digest.js';
export { VERITY_PARAMETER, appendVerityTree, type VerityTree } from './verity.js';
export { BOOTCONFIG_MAGIC, bootconfigTrailer } from './bootconfig.js';
export { importTree, type ImportedTree } from './importer.js';
export { parseImageEdits, imageEditsSchema, applyImageEdits, describeImageEdit, IMAGE_EDIT_OPS, type ImageEdit } from './edits.js';
export { planPayload, payloadChunks, parseSize, PAYLOAD_FLAVORS, type PayloadFlavor } from './payload.js';

export interface PackOptions {
  /** Guest manifest (test-vms/…/manifest.json); relative paths inside resolve against it. */
  manifestPath: string;
  /** A second manifest whose entries are packed over the first's (replacing what they name). */
  overManifestPath?: string;
  /** Guest files replaced by host files (e.g. a companion build over the packaged tool): guest path -> host path. */
  replaceFiles?: Record<string, string>;
  format: ImageFormat;
  /** cpio: none|gzip|zstd|lz4|xz (optionally ",LEVEL"; default gzip); erofs: none|lz4|lz4hc (optionally "lz4hc,12"; default lz4hc). */
  compress?: string;
  /** Bytes of deterministic benchmark payload to add (never read by /init). */
  payloadBytes?: number;
  /** OpenSSH public key lines to install as root's authorized_keys (0600). */
  authorizedKeys?: string[];
  /** Output file; written atomically. */
  output: string;
  /** EROFS physical cluster size in bytes (mkfs.erofs -C). */
  clusterBytes?: number;
  /** A second manifest packed as an uncompressed cpio segment BEFORE the main one (like early microcode); before an EROFS image, zero-padded to 4096 bytes (a layered initrd). */
  earlyManifestPath?: string;
  /** erofs only: manifests appended, in order, each as an uncompressed cpio segment AFTER the image (as sd-stub appends). */
  appendManifestPaths?: string[];
  /** Abort packing (e.g. on SIGINT): subprocesses are killed and nothing is left at `output`. */
  signal?: AbortSignal;
  /** Another architecture's userland (archSysroot()): the manifests' binaries and their libraries are read there. */
  sysroot?: Sysroot | undefined;
}

export interface PackResult {
  output: string;
  format: ImageFormat;
  /** Normalised compression, e.g. "gzip,9", "lz4hc". */
  compress: string;
  bytes: number;
  sha256: string;
  /** EROFS: the image's digest and the initrd_erofs_sha256= fragment that binds the kernel to it. */
  digest?: ErofsDigest;
}

/** The result with the EROFS image's digest, when there is an EROFS image. */
async function withDigest<R extends PackResult>(r: R): Promise<R> {
  if (r.format !== 'erofs') return r;
  const digest = await erofsImageDigest(r.output);
  return digest ? { ...r, digest } : r;
}

/** Pack a guest manifest into an initrd. Validates everything before writing; output is atomic. */
export async function packInitrd(opts: PackOptions): Promise<PackResult> {
  const format = opts.format === 'ext4' ? 'ext4' : parseFormat(opts.format);
  checkCompression(format, opts.compress);
  const manifest = await loadManifest(opts.manifestPath);
  const sysroot = opts.sysroot;
  const tree = await buildTree(manifest, { authorizedKeys: opts.authorizedKeys, payloadBytes: opts.payloadBytes, sysroot });
  if (opts.overManifestPath) overlayTree(tree, await buildTree(await loadManifest(opts.overManifestPath), { sysroot }), opts.overManifestPath);
  for (const [guest, host] of Object.entries(opts.replaceFiles ?? {})) await replaceWithHostFile(tree, guest, host);
  const early = opts.earlyManifestPath ? await buildTree(await loadManifest(opts.earlyManifestPath), { sysroot }) : undefined;
  const append: Tree[] = [];
  for (const p of opts.appendManifestPaths ?? []) append.push(await buildTree(await loadManifest(p), { sysroot }));
  return withDigest(await writeImage(tree, format, opts.compress, opts.output, { clusterBytes: opts.clusterBytes, early, append, signal: opts.signal }));
}

/** Put every entry of `over` into `tree`, replacing entries at the same paths. */
function overlayTree(tree: Tree, over: Tree, origin: string): void {
  for (const [p, entry] of over.sorted()) {
    if (tree.has(p)) {
      if (tree.get(p)?.type === 'dir' && entry.type === 'dir') continue;
      tree.replace(p, entry, origin);
    } else {
      tree.add(p, entry, origin);
    }
  }
}

/**
 * Replace what the manifest has at `guest` (a file, or a symlink such as a
 * busybox applet) with the bytes of host file `host`: a file keeps its mode,
 * anything else becomes 0755.
 */
async function replaceWithHostFile(tree: Tree, guest: string, host: string): Promise<void> {
  const old = tree.get(guest);
  if (!old || old.type === 'dir') throw new InputError(`cannot replace ${guest} with ${host}: the manifest holds no file or symlink at ${guest}`);
  const st = await fs.stat(host).catch(() => undefined);
  if (!st?.isFile()) throw new InputError(`cannot replace ${guest}: ${host} is not a file`);
  const mode = old.type === 'file' ? old.mode : 0o755;
  tree.replace(guest, { type: 'file', mode, size: st.size, content: { kind: 'host', path: host } }, host);
}

/** Build the tree a manifest describes (what packInitrd would pack), e.g. to check guest files against it. */
export async function manifestTree(manifestPath: string, opts: BuildOptions = {}): Promise<Tree> {
  return buildTree(await loadManifest(manifestPath), opts);
}

/** sha256 and size a guest file has when packed from `manifestPath` with `opts` (for VM checks). */
export async function expectedGuestFile(manifestPath: string, guestFile: string, opts: BuildOptions = {}): Promise<{ size: number; sha256: string }> {
  return expectedFile(await manifestTree(manifestPath, opts), guestFile);
}

/** Materialise a manifest's tree in `dir` (created; must be empty). Needs root for device nodes. */
export async function stageTree(manifest: Manifest | string, opts: BuildOptions & { dir: string }): Promise<void> {
  const m = typeof manifest === 'string' ? await loadManifest(manifest) : manifest;
  const existing = await fs.readdir(opts.dir).catch(() => [] as string[]);
  if (existing.length > 0) throw new InputError(`staging directory ${opts.dir} is not empty`);
  await stageTreeTo(await buildTree(m, opts), opts.dir);
}

export interface ImportOptions {
  input: string;
  format: InitrdFormat;
  compress?: string;
  output: string;
  clusterBytes?: number;
  /**
   * Keep a leading early cpio (microcode, ACPI tables) in front, byte for
   * byte, instead of folding it into the converted tree, where the early
   * loaders could not find it (default true).
   */
  keepEarly?: boolean;
  signal?: AbortSignal;
}

export interface ImportResult extends PackResult {
  entries: number;
  skipped: string[];
  /** The early cpio kept in front: its size in the input, and its entries. */
  early?: { bytes: number; files: string[] };
}

/** Convert an existing initramfs (cpio segments) or rootfs tarball to cpio or EROFS. */
export async function importImage(opts: ImportOptions): Promise<ImportResult> {
  const format = parseFormat(opts.format);
  checkCompression(format, opts.compress);
  const imported = await importTree(opts.input, { keepEarly: opts.keepEarly ?? true });
  try {
    const early = imported.early;
    const r: WriteResult = await writeImage(imported.tree, format, opts.compress, opts.output, { clusterBytes: opts.clusterBytes, earlyBytes: early?.bytes, signal: opts.signal });
    return withDigest({ ...r, entries: imported.tree.size, skipped: imported.skipped, ...(early ? { early: { bytes: early.bytes.length, files: early.files } } : {}) });
  } finally {
    await imported.dispose();
  }
}
