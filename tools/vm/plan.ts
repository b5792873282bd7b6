/**
 * Planning: scenario → what to build, what to pack, how to boot. Pure, so the
 * decisions (paths, requests, command line) are unit-tested; the runner acts.
 */
import path from 'node:path';
import type { BuildRequest } from '../kernel/index.js';
import type { Generator } from '../distro/index.js';
import type { ImageEdit, ImageFormat, PackOptions } from '../initrd/index.js';
import type { AccelMode } from './accel.js';
import { hostFilesToHash, initrdFilesToHash } from './checks.js';
import type { Arch } from '../common/arch.js';
import { kernelCommandLine, type QemuMachine } from './qemu-args.js';
import type { BootExpectation, Check, ImageSpec, Scenario } from './scenario.js';

export interface BootRequest {
  /** The extra kernel command line (after the machine's fixed one, x86_64: console=ttyS0 panic=-1 no_timer_check). */
  append: string;
  /** The whole command line, for the record. */
  commandLine: string;
  memoryMiB: number;
  /** How long to wait for SSH (or, for an expected PANIC, for the panic) from QEMU's start. */
  bootTimeoutS: number;
  accel: AccelMode;
  icountShift?: number | 'auto';
  /** The board and fixed command line (absent: x86_64's q35, console=ttyS0). */
  machine?: QemuMachine;
}

export type KernelPlan =
  | { kind: 'build'; request: BuildRequest }
  /** --kernel: a bzImage given by the developer, used as is (its release is read from the image). */
  | { kind: 'given'; bzImage: string };

export type ImagePlan =
  /** authorizedKeys is filled in by the runner from the workspace key; companions (guest path -> name) become replaceFiles once built. */
  | { kind: 'pack'; pack: Omit<PackOptions, 'authorizedKeys' | 'replaceFiles'>; companions?: Record<string, string> }
  | { kind: 'image'; image: string }
  /**
   * A distribution's generator makes `cpio` (in `workDir`, with its log) for
   * the scenario's kernel; with `erofs` set, that cpio is converted to it.
   */
  | {
      kind: 'generate'; generator: Generator; companions: boolean; cpio: string; workDir: string; erofs?: { output: string; compress: string };
      /** An early cpio packed from this manifest into `cpio`, for the generator's hook to put in front. */
      early?: { manifest: string; cpio: string };
    };

/** The initrd; with edits, the pristine image is kept and an edited copy (`editedOutput`) is booted. */
export type InitrdPlan = ImagePlan & {
  edits?: { edits: ImageEdit[]; editedOutput: string };
  /** initrd_erofs_sha256=: "auto" (the pristine image's) or a given digest. */
  digest?: string;
  /** initrd_erofs_verity=: the hash tree is appended into `output`; "auto" (its root) or a given root. */
  verity?: { root: string; output: string };
  /** A bootconfig (lines, `${imageSha256}` unexpanded) appended into `output`. */
  bootconfig?: { lines: string[]; output: string };
};

/** The extra read-only virtio disk. */
export type DiskPlan = ImagePlan;

export interface ScenarioPlan {
  scenario: Scenario;
  /** The architecture built, packed and booted for (absent: x86_64, as before the arch axis). */
  arch?: Arch;
  runDir: string;
  kernel: KernelPlan;
  initrd: InitrdPlan;
  disk?: DiskPlan;
  boot: BootRequest;
  /** What the boot must show; absent: the checks decide, as before expectations existed. */
  expectBoot?: BootExpectation;
  checks: Check[];
  /** Host files whose SHA-256 the checks compare against (${hostSha256:…}). */
  hostFiles: string[];
  /** Guest files whose packed size and SHA-256 the checks compare against (${initrdFileSha256:…}, ${initrdFileBytes:…}). */
  initrdFiles: string[];
}

export interface PlanOptions {
  /** <cache>/runs/<stamp>-<scenario>/ */
  runDir: string;
  kernelOverride?: string;
  /** Build this kernel git checkout as it stands (a developer's own tree) instead of the prepared one. */
  tree?: string;
  /** With `tree`: where the series starts (default: tag base-<name>). */
  baseRef?: string;
  accel: AccelMode;
  icountShift?: number | 'auto';
  /** --arch: build, pack and boot for this architecture (kernel-patches/arches.json). */
  arch?: Arch;
  /** --sanitize: the scenario's kernel with SANITIZE_FRAGMENTS, SANITIZE_APPEND, and a longer boot bound. */
  sanitize?: boolean;
}

/**
 * What --sanitize adds: KASAN, UBSAN, lockdep, KFENCE, debug objects (the
 * fragments), any report ending the boot in a panic that the console
 * classifier quotes (the parameters), and three times the boot bound, as
 * a KASAN and lockdep kernel boots about that much slower under TCG.
 */
export const SANITIZE_FRAGMENTS = ['debug', 'sanitize'];
export const SANITIZE_APPEND = 'kasan.fault=panic panic_on_warn=1 softlockup_panic=1 sysctl.kernel.hung_task_panic=1';
export const SANITIZE_BOOT_FACTOR = 3;

const COMPRESS_SUFFIX: Record<string, string> = { gzip: '.gz', zstd: '.zst', lz4: '.lz4', xz: '.xz', none: '' };

/** File name of a packed image inside the run directory, saying what it is: `initrd.cpio.gz`, `disk.erofs.lz4hc`. */
export function imageFileName(stem: string, format: ImageFormat, compress: string): string {
  if (format === 'ext4') return `${stem}.ext4`;
  if (format === 'cpio') return `${stem}.cpio${COMPRESS_SUFFIX[compress] ?? `.${compress}`}`;
  return `${stem}.erofs${compress === 'none' ? '' : `.${compress.replace(/[^A-Za-z0-9]+/g, '-')}`}`;
}

export function initrdFileName(format: ImageFormat, compress: string): string {
  return imageFileName('initrd', format, compress);
}

function planImage(spec: ImageSpec, stem: 'initrd' | 'disk', runDir: string): ImagePlan {
  if (spec.kind === 'image') return { kind: 'image', image: spec.image };
  if (spec.kind === 'generate') {
    const named = `${stem}-${spec.generator}`;
    const plan: ImagePlan = {
      kind: 'generate',
      generator: spec.generator,
      companions: spec.companions,
      cpio: path.join(runDir, imageFileName(named, 'cpio', 'zstd')),
      workDir: path.join(runDir, spec.generator),
    };
    if (spec.format === 'erofs') plan.erofs = { output: path.join(runDir, imageFileName(named, 'erofs', spec.compress)), compress: spec.compress };
    if (spec.early) plan.early = { manifest: spec.early, cpio: path.join(runDir, imageFileName(`${named}-early`, 'cpio', 'none')) };
    return plan;
  }
  const plan: ImagePlan = {
    kind: 'pack',
    pack: {
      manifestPath: spec.manifest,
      format: spec.format,
      compress: spec.compress,
      payloadBytes: spec.payloadBytes,
      output: path.join(runDir, imageFileName(stem, spec.format, spec.compress)),
      ...(spec.over ? { overManifestPath: spec.over } : {}),
      ...(spec.early ? { earlyManifestPath: spec.early } : {}),
      ...(spec.append?.length ? { appendManifestPaths: spec.append } : {}),
    },
  };
  if (spec.companions) plan.companions = spec.companions;
  return plan;
}

/** The file an image plan boots: packed, given, or generated (and converted). Pure. */
export function imagePath(p: ImagePlan): string {
  if (p.kind === 'pack') return p.pack.output;
  if (p.kind === 'image') return p.image;
  return p.erofs?.output ?? p.cpio;
}

/** `initrd.erofs.lz4hc` → `initrd-edited.erofs.lz4hc`, beside the pristine one. */
export function editedFileName(image: string): string {
  const base = path.basename(image);
  const dot = base.indexOf('.');
  return dot > 0 ? `${base.slice(0, dot)}-edited${base.slice(dot)}` : `${base}-edited`;
}

export function planScenario(s: Scenario, o: PlanOptions): ScenarioPlan {
  const kernel: KernelPlan =
    o.kernelOverride !== undefined
      ? { kind: 'given', bzImage: path.resolve(o.kernelOverride) }
      : {
          kind: 'build',
          request: {
            base: s.kernel.base,
            fragments: [...s.kernel.fragments, ...(o.sanitize ? SANITIZE_FRAGMENTS : [])],
            withPatches: s.kernel.patches,
            ...(o.arch ? { arch: o.arch.name } : {}),
            ...(o.tree !== undefined ? { tree: path.resolve(o.tree) } : {}),
            ...(o.tree !== undefined && o.baseRef !== undefined ? { baseRef: o.baseRef } : {}),
          },
        };
  const append = o.sanitize ? `${s.append} ${SANITIZE_APPEND}`.trim() : s.append;
  const boot: BootRequest = {
    append,
    commandLine: kernelCommandLine(append, o.arch?.qemu.append),
    memoryMiB: s.memoryMiB,
    bootTimeoutS: o.sanitize ? s.bootTimeoutS * SANITIZE_BOOT_FACTOR : s.bootTimeoutS,
    accel: o.accel,
  };
  if (o.arch) boot.machine = { ...o.arch.qemu };
  if (o.icountShift !== undefined) boot.icountShift = o.icountShift;
  // A panic after withinS fails anyway: no need to wait the whole boot bound for it.
  if (s.expectBoot?.outcome === 'PANIC' && s.expectBoot.withinS !== undefined) {
    boot.bootTimeoutS = Math.min(boot.bootTimeoutS, s.expectBoot.withinS);
  }
  const initrd: InitrdPlan = planImage(s.initrd, 'initrd', o.runDir);
  if (s.initrd.digest) initrd.digest = s.initrd.digest;
  if (s.initrd.verity) initrd.verity = { root: s.initrd.verity, output: path.join(o.runDir, 'initrd-verity.img') };
  if (s.initrd.bootconfig) initrd.bootconfig = { lines: s.initrd.bootconfig, output: path.join(o.runDir, 'initrd-bootconfig.img') };
  if (s.initrd.edits?.length) {
    const pristine = imagePath(initrd);
    initrd.edits = { edits: s.initrd.edits, editedOutput: path.join(o.runDir, editedFileName(pristine)) };
  }
  const plan: ScenarioPlan = {
    scenario: s,
    runDir: o.runDir,
    kernel,
    initrd,
    boot,
    checks: s.checks,
    hostFiles: hostFilesToHash(s),
    initrdFiles: initrdFilesToHash(s),
  };
  if (s.disk) plan.disk = planImage(s.disk, 'disk', o.runDir);
  if (o.arch) plan.arch = o.arch;
  if (s.expectBoot) plan.expectBoot = s.expectBoot;
  return plan;
}

/** `20261125T221503Z-cpio-gzip`: sortable, UTC, and names the scenario. */
export function runDirName(now: Date, scenarioName: string): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${scenarioName.replace(/[^A-Za-z0-9._-]+/g, '_')}`;
}
