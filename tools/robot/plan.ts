/**
 * The robot's pure part: which objects a series touches, which compiler,
 * sparse and kernel-doc lines are warnings about them, which of those a
 * patch adds, and the patch x check table.
 */

import path from 'node:path';

export type CellStatus = 'pass' | 'fail' | 'n/a';

/** One cell of the table: a patch (0: the base) against one check. */
export interface Cell {
  /** 0 for the base, 1..n for the tree with patches 1..n applied. */
  patch: number;
  /** `build:<config>`, `warnings:<config>`, `checkpatch`, `kernel-doc`. */
  check: string;
  status: CellStatus;
  /** One line for the table's legend; for a failure, what failed. */
  summary: string;
  /** The lines a reviewer needs: the first errors, or the new warnings, quoted. */
  details?: string[];
  /** The cell's full log, under the run directory. */
  log?: string;
  seconds?: number;
}

/** A warning as the robot compares it: where (file only) and what, without line numbers. */
export interface Warning {
  file: string;
  line: number;
  text: string;
}

const DIAGNOSTIC = /^(?<file>[^\s:][^:]*):(?<line>\d+):(?:\d+:)?\s+(?<kind>warning|error):\s+(?<msg>.*)$/;

/**
 * The warnings of a build or check output that concern the given files
 * (the series' sources and headers), paths made relative to the tree.
 * Pure. `treePath` strips absolute and ../-relative spellings of the tree.
 */
export function parseWarnings(output: string, files: ReadonlySet<string>, treePath: string): Warning[] {
  const out: Warning[] = [];
  // A header's warning is printed once per source that includes it: count it once.
  const seen = new Set<string>();
  for (const raw of output.split('\n')) {
    const m = DIAGNOSTIC.exec(raw.trim());
    if (!m?.groups) continue;
    const file = relativeToTree(m.groups.file as string, treePath);
    const w = { file, line: Number(m.groups.line), text: `${m.groups.kind}: ${m.groups.msg}` };
    if (!files.has(file) || seen.has(`${w.file}:${w.line}: ${w.text}`)) continue;
    seen.add(`${w.file}:${w.line}: ${w.text}`);
    out.push(w);
  }
  return out;
}

function relativeToTree(file: string, treePath: string): string {
  const tree = treePath.endsWith('/') ? treePath : `${treePath}/`;
  if (file.startsWith(tree)) return file.slice(tree.length);
  return file.replace(/^(\.\.\/)+/, '').replace(/^\.\//, '');
}

const keyOf = (w: Warning): string => `${w.file}: ${w.text}`;

/**
 * The warnings in `after` that `before` does not have, compared as
 * multisets of (file, text): moving a warning down the file is not a new
 * one, a second copy of it is. Pure.
 */
export function newWarnings(before: readonly Warning[], after: readonly Warning[]): Warning[] {
  const left = new Map<string, number>();
  for (const w of before) left.set(keyOf(w), (left.get(keyOf(w)) ?? 0) + 1);
  const added: Warning[] = [];
  for (const w of after) {
    const n = left.get(keyOf(w)) ?? 0;
    if (n > 0) left.set(keyOf(w), n - 1);
    else added.push(w);
  }
  return added;
}

export const quoteWarning = (w: Warning): string => `${w.file}:${w.line}: ${w.text}`;

/** How many warnings or errors a failed cell quotes (the log has them all). */
export const MAX_QUOTED = 12;

/** A warning cell from the warnings before and at this patch. Pure. */
export function warningCell(patch: number, check: string, before: readonly Warning[] | undefined, now: readonly Warning[], log?: string): Cell {
  if (patch === 0 || before === undefined) return { patch, check, status: 'pass', summary: `${now.length} warning(s) in the series' files (the baseline)`, ...(log ? { log } : {}) };
  const added = newWarnings(before, now);
  if (added.length === 0) return { patch, check, status: 'pass', summary: 'no new warning', ...(log ? { log } : {}) };
  return { patch, check, status: 'fail', summary: `${added.length} new warning(s)`, details: added.slice(0, MAX_QUOTED).map(quoteWarning), ...(log ? { log } : {}) };
}

/** Sources to compile, the directories that build them, every file a warning may name, and the documents. Pure. */
export function touchedObjects(touched: readonly string[]): { sources: string[]; dirs: string[]; files: Set<string>; docs: string[] } {
  const sources = [...new Set(touched.filter((f) => f.endsWith('.c')))].sort();
  const dirs = [...new Set(sources.map((f) => `${f.slice(0, f.lastIndexOf('/'))}/`))].sort();
  const files = new Set(touched.filter((f) => /\.[ch]$/.test(f)));
  const docs = [...new Set(touched.filter((f) => f.startsWith('Documentation/') && f.endsWith('.rst')))].sort();
  return { sources, dirs, files, docs };
}

// spatch -D report: "init/x.c:12:3-9: WARNING: ...", or a message without a kind.
const COCCI = /^(?<file>[^\s:][^:]*):(?<line>\d+):\d+-\d+:\s+(?<msg>.*)$/;

/** Coccinelle's report lines about the given files. Pure. */
export function parseCocciReport(output: string, files: ReadonlySet<string>, treePath: string): Warning[] {
  const out: Warning[] = [];
  for (const raw of output.split('\n')) {
    const m = COCCI.exec(raw.trim());
    if (!m?.groups) continue;
    const file = relativeToTree(m.groups.file as string, treePath);
    if (files.has(file)) out.push({ file, line: Number(m.groups.line), text: `coccinelle: ${m.groups.msg}` });
  }
  return out;
}

// A lone document cannot resolve references to others: those are not its warnings here.
const UNRESOLVABLE = /toctree contains reference to nonexisting document|undefined label|unknown document|term not in glossary/;

/** Sphinx's warnings and errors about `builtAs` (the copy it built), named as `file` of the tree. Pure. */
export function parseSphinxWarnings(output: string, builtAs: string, file: string): Warning[] {
  const re = /^(?<path>[^:]+):(?<line>\d+)?:?\s*(?<kind>WARNING|ERROR|CRITICAL|SEVERE):\s*(?<msg>.*)$/;
  const out: Warning[] = [];
  for (const raw of output.split('\n')) {
    const m = re.exec(raw.trim());
    if (!m?.groups || m.groups.path !== builtAs || UNRESOLVABLE.test(m.groups.msg as string)) continue;
    out.push({ file, line: Number(m.groups.line ?? 0), text: `${(m.groups.kind as string).toLowerCase()}: ${m.groups.msg}` });
  }
  return out;
}

/**
 * Documents that no toctree of their directory's index.rst lists (toctree
 * entries are indented names without the .rst). `indexes` maps each
 * directory's index.rst path to its text ("" when it has none). Pure.
 */
export function untocedDocs(docs: readonly string[], indexes: ReadonlyMap<string, string>): Warning[] {
  return docs
    .filter((d) => path.posix.basename(d) !== 'index.rst')
    .filter((d) => {
      const name = path.posix.basename(d, '.rst');
      const index = indexes.get(path.posix.join(path.posix.dirname(d), 'index.rst')) ?? '';
      return !index.split('\n').some((l) => /^\s+\S/.test(l) && l.trim() === name);
    })
    .map((d) => ({ file: d, line: 0, text: `warning: not in a toctree of ${path.posix.dirname(d)}/index.rst (make htmldocs: "document isn't included in any toctree")` }));
}

const MARK: Record<CellStatus, string> = { pass: 'ok', fail: 'FAIL', 'n/a': 'n/a' };

/** The patch x check table: one row per patch, a column per check, and the failures quoted below. Pure. */
export function renderTable(patchNames: readonly string[], checks: readonly string[], cells: readonly Cell[]): string {
  const at = new Map(cells.map((c) => [`${c.patch}\0${c.check}`, c]));
  const widths = checks.map((c) => Math.max(c.length, 4));
  const head = `${'patch'.padEnd(6)} ${checks.map((c, i) => c.padEnd(widths[i] as number)).join(' ')}`;
  const rows = patchNames.map((name, patch) => {
    const marks = checks.map((c, i) => (at.get(`${patch}\0${c}`) ? MARK[(at.get(`${patch}\0${c}`) as Cell).status] : '-').padEnd(widths[i] as number));
    return `${(patch === 0 ? 'base' : String(patch).padStart(4, '0')).padEnd(6)} ${marks.join(' ')}  ${name}`;
  });
  const notes = cells
    .filter((c) => c.status === 'fail')
    .map((c) => [`${c.patch === 0 ? 'base' : `patch ${c.patch}`} ${c.check}: ${c.summary}`, ...(c.details ?? []).map((l) => `    ${l}`), ...(c.log ? [`    log: ${c.log}`] : [])].join('\n'));
  return [head, ...rows, ...(notes.length ? ['', ...notes] : [])].join('\n');
}

/** The same cells, keyed for a later lookup: is the whole run green? Pure. */
export function failedCells(cells: readonly Cell[]): Cell[] {
  return cells.filter((c) => c.status === 'fail');
}
