/**
 * CPU architectures as data: kernel-patches/arches.json says, per
 * architecture, what the kernel build, the guest's userland and QEMU need
 * (`--arch NAME`). x86_64 is the default and keeps every pre-arch cache key.
 */
import path from 'node:path';
import * as v from 'valibot';
import { InputError } from './errors.js';
import { kernelPatchesDir } from './paths.js';
import { dataObject, dataRecord, list, must, nonEmptyString, parseData, problems, readJsonFile, shown, str } from './schema.js';

export interface Arch {
  /** The key in arches.json, what `--arch` takes: "x86_64", "arm64". */
  name: string;
  /** make ARCH=: "x86", "arm64". */
  kernelArch: string;
  /** CROSS_COMPILE= when the host is another architecture (a Debian gcc-<triplet> prefix). */
  crossCompile: string;
  /** The boot image, relative to the build directory. */
  image: string;
  /** make targets instead of the default one ([] = make's default). */
  makeTargets: string[];
  /** Config fragments replaced on this architecture: {"guest": "guest-arm64"}. */
  fragments: Record<string, string>;
  /** Debian architecture of the guest's userland (dpkg --print-architecture). */
  debianArch: string;
  /**
   * The guest's userland when the host is another architecture: these
   * packages (with their dependencies) unpacked into a sysroot; `multiarch`
   * is the Debian triplet of its library directories.
   */
  userland: { multiarch: string; packages: string[] };
  /** QEMU's binary and board; `append` is the fixed kernel command line (serial console, panic=-1, the arch's own). */
  qemu: { binary: string; debianPackage: string; machine: string; append: string };
  /** Scenarios this architecture cannot run, with the reason (`iofs patches status` shows them as n/a). */
  notApplicable?: Record<string, string>;
}

export interface ArchSet {
  arches: Map<string, Arch>;
  default: string;
}

export const defaultArchesFile = path.join(kernelPatchesDir, 'arches.json');

const ARCH_NAME = /^[a-z0-9_]+$/;
const archName = v.pipe(str(), must((n) => ARCH_NAME.test(n), (n) => `${shown(n)}: an architecture name is lower-case letters, digits and '_'`));

const archEntry = dataObject({
  kernelArch: nonEmptyString(),
  crossCompile: v.pipe(nonEmptyString(), must((s) => s.endsWith('-'), (s) => `${shown(s)} is not a compiler prefix like "aarch64-linux-gnu-"`)),
  image: v.pipe(nonEmptyString(), must((s) => !path.isAbsolute(s) && !s.split('/').includes('..'), () => 'must be a path inside the build directory')),
  makeTargets: list(nonEmptyString()),
  fragments: dataRecord(str(), nonEmptyString('a fragment name'), 'an object {"<fragment>": "<replacement>"}'),
  debianArch: nonEmptyString(),
  userland: dataObject({ multiarch: nonEmptyString(), packages: list(nonEmptyString()) }),
  qemu: dataObject({ binary: nonEmptyString(), debianPackage: nonEmptyString(), machine: nonEmptyString(), append: v.pipe(nonEmptyString(), must((s) => /(^| )console=\S+/.test(s) && / panic=-1( |$)/.test(s), (s) => `${shown(s)} must name the serial console (console=…) and have panic=-1 (a panic ends QEMU)`)) }),
  notApplicable: v.optional(dataRecord(v.string(), nonEmptyString('the reason as a non-empty string'), 'an object {"<scenario>": "<why>"}')),
});

export const archesFileSchema = v.pipe(
  dataObject({ default: str(), arches: dataRecord(archName, archEntry) }),
  problems((d) => (Object.keys(d.arches).includes(d.default) ? undefined : { path: ['default'], message: `expected one of ${Object.keys(d.arches).join(', ')}, got ${shown(d.default)}` })),
);

/** Validate the parsed content of arches.json. Pure: `file` only names it in errors. */
export function parseArchSet(data: unknown, file = 'arches.json'): ArchSet {
  const d = parseData(archesFileSchema, data, file);
  const arches = new Map<string, Arch>();
  for (const [name, e] of Object.entries(d.arches)) arches.set(name, { name, ...e, makeTargets: [...e.makeTargets], fragments: { ...e.fragments }, userland: { ...e.userland, packages: [...e.userland.packages] }, qemu: { ...e.qemu }, ...(e.notApplicable ? { notApplicable: { ...e.notApplicable } } : {}) });
  return { arches, default: d.default };
}

export async function loadArchSet(file = defaultArchesFile): Promise<ArchSet> {
  return parseArchSet(await readJsonFile(file), file);
}

/** One architecture by name (undefined: the default); the error lists the valid names. */
export async function getArch(name?: string, file = defaultArchesFile): Promise<Arch> {
  const set = await loadArchSet(file);
  const arch = set.arches.get(name ?? set.default);
  if (!arch) throw new InputError(`unknown architecture ${JSON.stringify(name)} (valid: ${[...set.arches.keys()].join(', ')})`, { hint: `architectures are defined in ${file}` });
  return arch;
}

/** The host's architecture in arches.json's names (node's "x64" is "x86_64"). */
export function hostArchName(nodeArch: string = process.arch): string {
  return nodeArch === 'x64' ? 'x86_64' : nodeArch;
}

/** True when building or running for `arch` needs a cross compiler / a foreign userland. Pure. */
export function isForeign(arch: Pick<Arch, 'name'>, host = hostArchName()): boolean {
  return arch.name !== host;
}

/** Fragment names with the architecture's replacements ("guest" -> "guest-arm64"). Pure. */
export function archFragments(arch: Pick<Arch, 'fragments'>, fragments: readonly string[]): string[] {
  return fragments.map((f) => arch.fragments[f] ?? f);
}
