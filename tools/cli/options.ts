/**
 * Options several verbs share, declared once: one flag, one help text, one
 * parser. A parser rejects a bad value at parse time (exit 2, the option
 * named). Cheap to import: `iofs --help` registers every verb's options, so
 * nothing here may load the libraries (tools/kernel, tools/vm, …).
 */
import path from 'node:path';
import { InvalidArgumentError, Option } from 'commander';
import type { AccelMode } from '../vm/index.js';
import { ACCEL_MODES } from './facts.js';

export const CACHE_DEFAULT = '(default: $IOFS_CACHE, else $XDG_CACHE_HOME/iofs, else ~/.cache/iofs)';
export const PRIMARY_BASE_DEFAULT = '(default: the primary base in kernel-patches/bases.json)';
const BASE_HELP = 'base from kernel-patches/bases.json, e.g. 6.12';

export function parsePositiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('must be a whole number, at least 1');
  return Number(value);
}

export function parseAccel(value: string): AccelMode {
  if (!(ACCEL_MODES as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${ACCEL_MODES.join(', ')}`);
  return value as AccelMode;
}

export function parseIcount(value: string): number | 'auto' {
  if (value === 'auto') return 'auto';
  if (!/^\d+$/.test(value) || Number(value) > 10) throw new InvalidArgumentError('must be 0-10 or "auto"');
  return Number(value);
}

/** A repeatable option whose values may also be comma-separated: `--x a,b --x c` is [a, b, c]. */
export function collectList(value: string, previous: string[] | undefined): string[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new InvalidArgumentError('must name at least one value (commas separate several)');
  return [...(previous ?? []), ...items];
}

/** Paths are taken relative to where iofs was started, and handed on absolute. */
export function parsePath(value: string): string {
  if (value === '') throw new InvalidArgumentError('must be a path');
  return path.resolve(value);
}

export function accelOption(): Option {
  // choices() for the help and shell completion, parseAccel for the message.
  return new Option('--accel <mode>', 'QEMU acceleration: auto probes KVM and falls back to TCG')
    .choices(ACCEL_MODES)
    .argParser(parseAccel)
    .default('auto');
}

export function icountOption(): Option {
  return new Option('--icount <shift>', 'deterministic clock: -icount shift=N,sleep=off, N 0-10 or auto (TCG only)').argParser(parseIcount);
}

/** `--base NAME`, optional: resolve it in the action with resolveBase(). */
export function baseOption(what = BASE_HELP, defaultText = PRIMARY_BASE_DEFAULT): Option {
  return new Option('--base <name>', `${what} ${defaultText}`);
}

/** `--base NAME…` for verbs that run on several bases; none given means every base. */
export function basesOption(): Option {
  return new Option('--base <name...>', 'bases from kernel-patches/bases.json, repeatable, commas work too (default: every base)').argParser(collectList);
}

export function treeOption(what = 'your own kernel git checkout instead of the prepared tree <cache>/trees/<base>'): Option {
  return new Option('--tree <path>', what).argParser(parsePath);
}

export function baseRefOption(): Option {
  return new Option('--base-ref <ref>', "with --tree: where the series starts (default: tag base-<name>, else HEAD, which gets that tag)");
}

/**
 * `--arch NAME`: an architecture from kernel-patches/arches.json (checked
 * when the verb loads it, naming the valid ones); absent: its default, x86_64.
 */
export function archOption(what = 'CPU architecture from kernel-patches/arches.json: x86_64 or arm64 (cross-built with aarch64-linux-gnu-gcc, booted in qemu-system-aarch64 -machine virt)'): Option {
  return new Option('--arch <name>', `${what} (default: x86_64)`);
}

export function cacheOption(): Option {
  return new Option('--cache <dir>', `cache root: trees, builds, ccache, runs ${CACHE_DEFAULT}`).argParser(parsePath);
}

export function jobsOption(what: string, dflt?: number): Option {
  const option = new Option('-j, --jobs <n>', what).argParser(parsePositiveInt);
  return dflt === undefined ? option : option.default(dflt);
}

/** The --base the user gave, else the primary base of kernel-patches/bases.json. */
export async function resolveBase(name: string | undefined): Promise<string> {
  if (name !== undefined) return name;
  const { primaryBaseName } = await import('../kernel/index.js');
  return primaryBaseName();
}

/** What --kcidb, --kcidb-origin and --kcidb-cache-url give a verb. */
export interface KcidbCliOptions {
  kcidb?: string;
  kcidbOrigin: string;
  kcidbCacheUrl?: string;
}

export function parseKcidbOrigin(value: string): string {
  // KCIDB schema v5.3, origin: ^[a-z0-9_]+$ (tools/kcidb/schema/kcidb-v5.3.json).
  if (!/^[a-z0-9_]+$/.test(value)) throw new InvalidArgumentError('must match KCIDB\'s origin pattern [a-z0-9_]+, e.g. "iofs" or "mylab"');
  return value;
}

export function parseHttpUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be a URL, e.g. https://files.example/iofs-cache');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new InvalidArgumentError('must be an http(s):// URL');
  return value;
}

/** --kcidb FILE and its two companions, shared by vm test, patches status and bench: `.addOption(kcidbOption()).addOption(kcidbOriginOption()).addOption(kcidbCacheUrlOption())`. */
export function kcidbOption(): Option {
  return new Option('--kcidb <file>', 'also write the results as KernelCI KCIDB JSON (schema v5.3, validated before writing; nothing is sent)').argParser(parsePath);
}

export function kcidbOriginOption(): Option {
  return new Option('--kcidb-origin <name>', 'KCIDB origin: the CI system name that prefixes every id').argParser(parseKcidbOrigin).default('iofs');
}

export function kcidbCacheUrlOption(): Option {
  return new Option('--kcidb-cache-url <url>', 'where the cache directory is served: log and artifact URLs point there instead of file://').argParser(parseHttpUrl);
}

export const KCIDB_HELP = `
KCIDB (--kcidb FILE): a checkout per kernel source (the base's commit and the
series' patchset_hash), a build per kernel build (config fragments, compiler,
bzImage, build log), tests named iofs.<scenario>[.<check>]. Log URLs are
file:// unless --kcidb-cache-url says where the cache is served. Submit with
KernelCI's kcidb-submit and your lab's credentials (tools/kcidb/README.md).`;
