/**
 * Planning: scenario → what to build, what to pack, how to boot. Pure, so the
 * decisions (paths, requests, command line) are unit-tested; the runner acts.
 */
import path from 'node:path';
import type { BuildRequest } from '../kernel/index.js';
import type { PackOptions } from '../initrd/index.js';
import type { AccelMode } from './accel.js';
import { hostFilesToHash } from './checks.js';
import { kernelCommandLine } from './qemu-args.js';
import type { Check, Scenario } from './scenario.js';

export interface BootRequest {
  /** The extra kernel command line (after console=ttyS0 panic=-1). */
  append: string;
  /** The whole command line, for the record. */
  commandLine: string;
  memoryMiB: number;
  bootTimeoutS: number;
  accel: AccelMode;
  icountShift?: number | 'auto';
}

export type KernelPlan =
  | { kind: 'build'; request: BuildRequest }
  /** --kernel: a bzImage given by the developer, used as is (its release is read from the image). */
  | { kind: 'given'; bzImage: string };

export type InitrdPlan =
  /** authorizedKeys is filled in by the runner from the workspace key. */
  | { kind: 'pack'; pack: Omit<PackOptions, 'authorizedKeys'> }
  | { kind: 'image'; image: string };

export interface ScenarioPlan {
  scenario: Scenario;
  runDir: string;
  kernel: KernelPlan;
  initrd: InitrdPlan;
  boot: BootRequest;
  checks: Check[];
  /** Host files whose SHA-256 the checks compare against (${hostSha256:…}). */
  hostFiles: string[];
}

export interface PlanOptions {
  /** <cache>/runs/<stamp>-<scenario>/ */
  runDir: string;
  kernelOverride?: string;
  accel: AccelMode;
  icountShift?: number | 'auto';
}

const COMPRESS_SUFFIX: Record<string, string> = { gzip: '.gz', zstd: '.zst', lz4: '.lz4', xz: '.xz', none: '' };

/** File name of the packed initrd inside the run directory, saying what it is. */
export function initrdFileName(format: 'cpio' | 'erofs', compress: string): string {
  if (format === 'cpio') return `initrd.cpio${COMPRESS_SUFFIX[compress] ?? `.${compress}`}`;
  return `initrd.erofs${compress === 'none' ? '' : `.${compress.replace(/[^A-Za-z0-9]+/g, '-')}`}`;
}

export function planScenario(s: Scenario, o: PlanOptions): ScenarioPlan {
  const kernel: KernelPlan =
    o.kernelOverride !== undefined
      ? { kind: 'given', bzImage: path.resolve(o.kernelOverride) }
      : { kind: 'build', request: { base: s.kernel.base, fragments: [...s.kernel.fragments], withPatches: s.kernel.patches } };
  const boot: BootRequest = {
    append: s.append,
    commandLine: kernelCommandLine(s.append),
    memoryMiB: s.memoryMiB,
    bootTimeoutS: s.bootTimeoutS,
    accel: o.accel,
  };
  if (o.icountShift !== undefined) boot.icountShift = o.icountShift;
  return {
    scenario: s,
    runDir: o.runDir,
    kernel,
    initrd:
      s.initrd.kind === 'image'
        ? { kind: 'image', image: s.initrd.image }
        : {
            kind: 'pack',
            pack: {
              manifestPath: s.initrd.manifest,
              format: s.initrd.format,
              compress: s.initrd.compress,
              payloadBytes: s.initrd.payloadBytes,
              output: path.join(o.runDir, initrdFileName(s.initrd.format, s.initrd.compress)),
            },
          },
    boot,
    checks: s.checks,
    hostFiles: hostFilesToHash(s),
  };
}

/** `20261125T221503Z-cpio-gzip`: sortable, UTC, and names the scenario. */
export function runDirName(now: Date, scenarioName: string): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${scenarioName.replace(/[^A-Za-z0-9._-]+/g, '_')}`;
}
