/**
 * Guest manifests: a JSON file describing a guest's root filesystem.
 *
 *   {
 *     "description": "…",                       (optional, any "$comment" keys are ignored)
 *     "binaries": ["/usr/sbin/dropbear"],         host executables, installed at the same path
 *                                                 with their shared-library closure
 *     "files":    [{"src": "init", "dst": "/init", "mode": "0755"}],   src relative to the manifest
 *     "inline":   [{"dst": "/etc/passwd", "mode": "0644", "content": "…" | ["line", …]}],
 *     "dirs":     [{"path": "/root", "mode": "0700"}],
 *     "symlinks": [{"path": "/bin/sh", "target": "busybox"}],
 *     "hardlinks":[{"path": "/bin/a", "target": "/bin/b"}],
 *     "devices":  [{"path": "/dev/console", "type": "c", "major": 5, "minor": 1, "mode": "0600"}],
 *     "payload":  "payload"                       directory (under /) that --payload fills
 *   }
 *
 * Modes are strings of octal digits ("0755"): JSON has no octal numbers and a
 * decimal 493 is unreadable. Parsing is pure; checking that sources exist
 * happens when the tree is built (see buildTree), with the same entry names.
 */
import path from 'node:path';
import * as v from 'valibot';
import { dataObject, displayPath, expected, list, must, nonEmptyString, parseData, parseJsonText, readJsonFile, str } from '../common/schema.js';
import { guestPathProblem, normalizeGuestPath } from './tree.js';

export interface ManifestFile { src: string; dst: string; mode: number | undefined; label: string }
export interface ManifestInline { dst: string; mode: number; content: string; label: string }
export interface ManifestDir { path: string; mode: number; label: string }
export interface ManifestSymlink { path: string; target: string; label: string }
export interface ManifestHardlink { path: string; target: string; label: string }
export interface ManifestDevice { path: string; type: 'c' | 'b'; major: number; minor: number; mode: number; label: string }

export interface Manifest {
  /** Absolute path of the manifest file; the base for relative `src` paths. */
  path: string;
  description: string | undefined;
  binaries: Array<{ path: string; label: string }>;
  files: ManifestFile[];
  inline: ManifestInline[];
  dirs: ManifestDir[];
  symlinks: ManifestSymlink[];
  hardlinks: ManifestHardlink[];
  devices: ManifestDevice[];
  /** Guest directory for the benchmark payload (default /payload). */
  payloadDir: string;
}

/** "0755" → 0o755 (why strings: the header). */
const octalMode = () =>
  v.pipe(
    v.custom<string>((x) => typeof x === 'string' && /^0?[0-7]{1,4}$/.test(x), expected('an octal string like "0755"')),
    v.transform((x) => parseInt(x, 8)),
  );
const mode = (dflt: string) => v.optional(octalMode(), dflt);

/** An absolute guest path without "..", normalised. */
const guestPath = () => v.pipe(str(), must((p) => guestPathProblem(p) === undefined, (p) => guestPathProblem(p)!), v.transform(normalizeGuestPath));

const count = () => v.custom<number>((x) => Number.isSafeInteger(x) && (x as number) >= 0, expected('a non-negative integer'));

const content = v.pipe(
  v.custom<string | string[]>((x) => typeof x === 'string' || (Array.isArray(x) && x.every((l) => typeof l === 'string')), expected('a string or an array of lines')),
  v.transform((c) => (Array.isArray(c) ? c.map((l) => `${l}\n`).join('') : c)),
);

const binary = v.pipe(
  str(),
  must(path.isAbsolute, (p) => `${JSON.stringify(p)}: binaries are absolute host paths, installed at the same path in the guest (use "files" for others)`),
  guestPath(),
);

const payloadDir = v.pipe(
  str(),
  must((p) => /^[A-Za-z0-9._-]+$/.test(p) && p !== '.' && p !== '..', (p) => `must be a single directory name like "payload", got ${JSON.stringify(p)}`),
);

/** The schema of a guest manifest (test-vms/guest/manifest.json, test-vms/two-stage/manifest.json). */
export const manifestSchema = dataObject({
  description: v.optional(str()),
  binaries: v.optional(list(binary), []),
  files: v.optional(list(dataObject({ src: nonEmptyString(), dst: guestPath(), mode: v.optional(octalMode()) })), []),
  inline: v.optional(list(dataObject({ dst: guestPath(), mode: mode('0644'), content })), []),
  dirs: v.optional(list(dataObject({ path: guestPath(), mode: mode('0755') })), []),
  symlinks: v.optional(list(dataObject({ path: guestPath(), target: nonEmptyString() })), []),
  hardlinks: v.optional(list(dataObject({ path: guestPath(), target: guestPath() })), []),
  devices: v.optional(
    list(dataObject({ path: guestPath(), type: v.picklist(['c', 'b'], expected('"c" (character) or "b" (block)')), major: count(), minor: count(), mode: mode('0600') })),
    [],
  ),
  payload: v.optional(payloadDir, 'payload'),
});

/** Read and validate a manifest file. */
export async function loadManifest(manifestPath: string): Promise<Manifest> {
  const abs = path.resolve(manifestPath);
  return manifestFrom(await readJsonFile(abs), abs, abs);
}

/**
 * Validate manifest text (pure). `shownAs` is how errors name the file.
 * Entries get labels ("files[3] (src "init")") that later errors, such as a
 * missing source when the tree is built, use to name them.
 */
export function parseManifest(text: string, absPath: string, shownAs: string = absPath): Manifest {
  return manifestFrom(parseJsonText(text, shownAs), absPath, shownAs);
}

function manifestFrom(data: unknown, absPath: string, shownAs: string): Manifest {
  const m = parseData(manifestSchema, data, shownAs, { hint: 'the manifest format is in test-vms/README.md, "Guest manifests"' });
  const at = (key: string, i: number, what: string): string => `${displayPath(shownAs)}: ${key}[${i}] (${what})`;
  const base = path.dirname(absPath);
  return {
    path: absPath,
    description: m.description,
    binaries: m.binaries.map((p, i) => ({ path: p, label: `${displayPath(shownAs)}: binaries[${i}] (${p})` })),
    files: m.files.map((f, i) => ({ src: path.resolve(base, f.src), dst: f.dst, mode: f.mode, label: at('files', i, `src "${f.src}"`) })),
    inline: m.inline.map((f, i) => ({ ...f, label: at('inline', i, `dst "${f.dst}"`) })),
    dirs: m.dirs.map((d, i) => ({ ...d, label: at('dirs', i, `path "${d.path}"`) })),
    symlinks: m.symlinks.map((l, i) => ({ ...l, label: at('symlinks', i, `path "${l.path}"`) })),
    hardlinks: m.hardlinks.map((l, i) => ({ ...l, label: at('hardlinks', i, `path "${l.path}"`) })),
    devices: m.devices.map((d, i) => ({ ...d, label: at('devices', i, `path "${d.path}"`) })),
    payloadDir: `/${m.payload}`,
  };
}
