/**
 * The format of kernel-patches/<base>/: `series` lists patch file names one
 * per line in apply order (`#` comments and blank lines allowed);
 * 0000-cover-letter.patch is hand-maintained prose, never listed, never
 * overwritten.
 */
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { InputError } from '../common/errors.js';

export const coverLetterName = '0000-cover-letter.patch';
export const seriesFileName = 'series';
/** What `git format-patch` names its files: the ones an export owns and may remove. */
export const numberedPatchPattern = /^\d{4}-.+\.patch$/;

export interface Series {
  /** The series directory (kernel-patches/<base>). */
  dir: string;
  /** Patch file names in apply order. */
  names: string[];
  /** Absolute paths, same order. */
  files: string[];
}

/** Parse a `series` file. Pure; `file` only names it in errors. */
export function parseSeries(text: string, file = seriesFileName): string[] {
  const names: string[] = [];
  const seen = new Map<string, number>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const where = `${file}:${i + 1}`;
    if (/\s/.test(line)) throw new InputError(`${where}: one patch file name per line, got ${JSON.stringify(line)}`);
    if (line.includes('/') || line === '.' || line === '..') {
      throw new InputError(`${where}: ${JSON.stringify(line)} must be a file name in the series directory, not a path`);
    }
    if (line === coverLetterName) {
      throw new InputError(`${where}: the cover letter ${coverLetterName} is prose, not a patch: do not list it in series`);
    }
    const prev = seen.get(line);
    if (prev !== undefined) throw new InputError(`${where}: ${line} is already listed on line ${prev}`);
    seen.set(line, i + 1);
    names.push(line);
  });
  return names;
}

/**
 * Read kernel-patches/<base>/series. A missing directory or series file is
 * an empty series (a base with no patches yet); a listed file that is
 * missing is an error.
 */
export async function readSeries(dir: string): Promise<Series> {
  const seriesFile = path.join(dir, seriesFileName);
  if (!existsSync(seriesFile)) return { dir, names: [], files: [] };
  const names = parseSeries(await fs.readFile(seriesFile, 'utf8'), seriesFile);
  const files = names.map((n) => path.join(dir, n));
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length > 0) {
    throw new InputError(`${seriesFile} lists patch(es) that do not exist: ${missing.map((f) => path.basename(f)).join(', ')}`);
  }
  return { dir, names, files };
}

/** The `series` file text for these names (what an export writes). */
export function formatSeries(names: string[]): string {
  return (
    '# Apply order of the patches in this directory (iofs patches apply / export).\n' +
    '# 0000-cover-letter.patch is the hand-written cover letter and is not listed.\n' +
    names.map((n) => `${n}\n`).join('')
  );
}

/**
 * The patchset hash KernelCI's KCIDB uses for a checkout's `patchset_hash`:
 * sha256 over the concatenation, in series order, of each patch file's
 * sha256 hex digest followed by "\n". An empty series hashes to "" (KCIDB:
 * empty string when no patches are applied).
 */
export async function seriesHash(files: string[]): Promise<string> {
  if (files.length === 0) return '';
  const outer = createHash('sha256');
  for (const f of files) {
    const digest = createHash('sha256').update(await fs.readFile(f)).digest('hex');
    outer.update(`${digest}\n`);
  }
  return outer.digest('hex');
}

/** The Subject of a git format-patch file, without the [PATCH n/m] prefix. */
export function patchSubject(text: string): string {
  const m = /^Subject: (.*(?:\n[ \t].*)*)/m.exec(text);
  if (!m?.[1]) return '(no subject)';
  return m[1].replace(/\n[ \t]+/g, ' ').replace(/^\[[^\]]*\]\s*/, '').trim();
}

/** Files a patch touches (from its `diff --git` headers). */
export function patchFiles(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(/^diff --git a\/(\S+) b\/(\S+)$/gm)) out.add(m[2] ?? m[1] ?? '');
  return [...out].filter(Boolean);
}
