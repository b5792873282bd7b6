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
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InputError } from '../common/errors.js';
import { guestPath } from './tree.js';

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

const TOP_KEYS = ['description', 'binaries', 'files', 'inline', 'dirs', 'symlinks', 'hardlinks', 'devices', 'payload'];

/** Read and validate a manifest file. */
export async function loadManifest(manifestPath: string): Promise<Manifest> {
  const abs = path.resolve(manifestPath);
  let text: string;
  try {
    text = await fs.readFile(abs, 'utf8');
  } catch (err) {
    throw new InputError(`manifest ${manifestPath}: cannot read: ${(err as Error).message}`, { cause: err });
  }
  return parseManifest(text, abs, manifestPath);
}

/** Validate manifest text (pure). `shownAs` is how errors name the file. */
export function parseManifest(text: string, absPath: string, shownAs: string = absPath): Manifest {
  const where = `manifest ${shownAs}`;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${where}: not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(raw)) throw new InputError(`${where}: must be a JSON object`);
  for (const key of Object.keys(raw)) {
    if (!key.startsWith('$') && !TOP_KEYS.includes(key)) {
      throw new InputError(`${where}: unknown key "${key}" (valid: ${TOP_KEYS.join(', ')}; keys starting with $ are comments)`);
    }
  }
  const base = path.dirname(absPath);
  const list = (key: string): unknown[] => {
    const v = raw[key];
    if (v === undefined) return [];
    if (!Array.isArray(v)) throw new InputError(`${where}: "${key}" must be an array`);
    return v;
  };
  const entry = (key: string, i: number, v: unknown, fields: Record<string, 'string' | 'number' | 'mode' | 'content'>, required: string[]): Record<string, unknown> => {
    const label0 = `${where}: ${key}[${i}]`;
    if (!isObject(v)) throw new InputError(`${label0}: must be an object`);
    for (const k of Object.keys(v)) {
      if (!k.startsWith('$') && !(k in fields)) throw new InputError(`${label0}: unknown key "${k}" (valid: ${Object.keys(fields).join(', ')})`);
    }
    for (const k of required) if (v[k] === undefined) throw new InputError(`${label0}: missing "${k}"`);
    for (const [k, kind] of Object.entries(fields)) {
      const x = v[k];
      if (x === undefined) continue;
      const ok =
        kind === 'string' ? typeof x === 'string' :
        kind === 'number' ? Number.isInteger(x) && (x as number) >= 0 :
        kind === 'mode' ? typeof x === 'string' && /^0?[0-7]{1,4}$/.test(x) :
        typeof x === 'string' || (Array.isArray(x) && x.every((l) => typeof l === 'string'));
      if (!ok) {
        const want = kind === 'mode' ? 'an octal string like "0755"' : kind === 'number' ? 'a non-negative integer' : kind === 'content' ? 'a string or an array of lines' : 'a string';
        throw new InputError(`${label0}: "${k}" must be ${want}, got ${JSON.stringify(x)}`);
      }
    }
    return v;
  };
  const mode = (x: unknown): number => parseInt(x as string, 8);
  const dst = (label: string, p: unknown): string => guestPath(p as string, label);

  const binaries = list('binaries').map((v, i) => {
    const label = `${where}: binaries[${i}]`;
    if (typeof v !== 'string') throw new InputError(`${label}: must be a host path string`);
    if (!path.isAbsolute(v)) throw new InputError(`${label} ("${v}"): binaries are absolute host paths, installed at the same path in the guest (use "files" for others)`);
    return { path: guestPath(v, label), label: `${label} (${v})` };
  });
  const files = list('files').map((v, i) => {
    const e = entry('files', i, v, { src: 'string', dst: 'string', mode: 'mode' }, ['src', 'dst']);
    const label = `${where}: files[${i}] (src "${e.src as string}")`;
    return { src: path.resolve(base, e.src as string), dst: dst(label, e.dst), mode: e.mode === undefined ? undefined : mode(e.mode), label };
  });
  const inline = list('inline').map((v, i) => {
    const e = entry('inline', i, v, { dst: 'string', mode: 'mode', content: 'content' }, ['dst', 'content']);
    const label = `${where}: inline[${i}] (dst "${e.dst as string}")`;
    const c = e.content as string | string[];
    return { dst: dst(label, e.dst), mode: e.mode === undefined ? 0o644 : mode(e.mode), content: Array.isArray(c) ? c.map((l) => l + '\n').join('') : c, label };
  });
  const dirs = list('dirs').map((v, i) => {
    const e = entry('dirs', i, v, { path: 'string', mode: 'mode' }, ['path']);
    const label = `${where}: dirs[${i}] (path "${e.path as string}")`;
    return { path: dst(label, e.path), mode: e.mode === undefined ? 0o755 : mode(e.mode), label };
  });
  const symlinks = list('symlinks').map((v, i) => {
    const e = entry('symlinks', i, v, { path: 'string', target: 'string' }, ['path', 'target']);
    const label = `${where}: symlinks[${i}] (path "${e.path as string}")`;
    if ((e.target as string) === '') throw new InputError(`${label}: "target" must not be empty`);
    return { path: dst(label, e.path), target: e.target as string, label };
  });
  const hardlinks = list('hardlinks').map((v, i) => {
    const e = entry('hardlinks', i, v, { path: 'string', target: 'string' }, ['path', 'target']);
    const label = `${where}: hardlinks[${i}] (path "${e.path as string}")`;
    return { path: dst(label, e.path), target: dst(label, e.target), label };
  });
  const devices = list('devices').map((v, i) => {
    const e = entry('devices', i, v, { path: 'string', type: 'string', major: 'number', minor: 'number', mode: 'mode' }, ['path', 'type', 'major', 'minor']);
    const label = `${where}: devices[${i}] (path "${e.path as string}")`;
    if (e.type !== 'c' && e.type !== 'b') throw new InputError(`${label}: "type" must be "c" (character) or "b" (block), got ${JSON.stringify(e.type)}`);
    return { path: dst(label, e.path), type: e.type as 'c' | 'b', major: e.major as number, minor: e.minor as number, mode: e.mode === undefined ? 0o600 : mode(e.mode), label };
  });
  let payloadDir = '/payload';
  if (raw.payload !== undefined) {
    if (typeof raw.payload !== 'string' || !/^[A-Za-z0-9._-]+$/.test(raw.payload) || raw.payload === '.' || raw.payload === '..') {
      throw new InputError(`${where}: "payload" must be a single directory name like "payload", got ${JSON.stringify(raw.payload)}`);
    }
    payloadDir = '/' + raw.payload;
  }
  const description = raw.description;
  if (description !== undefined && typeof description !== 'string') throw new InputError(`${where}: "description" must be a string`);
  return { path: absPath, description, binaries, files, inline, dirs, symlinks, hardlinks, devices, payloadDir };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
