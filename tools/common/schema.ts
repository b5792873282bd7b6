/**
 * The one way the workbench reads its JSON data files (bases.json, guest
 * manifests, scenarios, the bench matrix, demo.json, bench results): a
 * valibot schema per file, and these helpers around it.
 *
 * Kernel developers edit those files without reading TypeScript, so every
 * error says which file and which key, in one format:
 *
 *   test-vms/scenarios/x.json: checks[3] (mount table).expect.stdout: expected a string, got 3
 *
 * An array entry with a string "name" is labelled with it, so a reader finds
 * the entry without counting. Every error is an InputError (exit code 2).
 * Unknown keys are errors naming the key and the valid ones (a typo must not
 * silently change a run); keys starting with "$" ("$comment") are
 * documentation and allowed in every object.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as v from 'valibot';
import { InputError } from './errors.js';
import { repoRoot } from './paths.js';

type AnyIssue = v.BaseIssue<unknown>;
type AnySchema = v.GenericSchema;
type PathKey = string | number;

/** One thing wrong with a value, at `path` below it (none: the value itself). */
export interface Problem {
  path?: readonly PathKey[];
  message: string;
}

const MAX_ISSUES = 10;

/** A file as errors show it: relative to the repository when inside it, else as given. */
export function displayPath(file: string): string {
  if (!path.isAbsolute(file)) return file;
  const rel = path.relative(repoRoot, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/** A value as messages quote it: JSON, cut short. */
export function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** An error message that ends with the value found: `expected a string, got 3`. */
export function expected(what: string): (issue: AnyIssue) => string {
  return (issue) => `expected ${what}, got ${shown(issue.input)}`;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** An array entry's label: its "name", when it has one. */
function entryLabel(value: unknown): string {
  return isPlainObject(value) && typeof value.name === 'string' && value.name ? ` (${value.name})` : '';
}

/** `checks[2] (typo).expect`, `bases["6.12"].tarball`: the path as a reader would type it. */
export function formatPath(items: readonly v.IssuePathItem[]): string {
  let out = '';
  for (const item of items) {
    const key = item.key;
    if (typeof key === 'number') out += `[${key}]${entryLabel(item.value)}`;
    else if (typeof key === 'string' && IDENTIFIER.test(key)) out += `${out ? '.' : ''}${key}`;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}

/** An unknown key is reported on the object holding it, the key in the message. */
function isUnknownKey(issue: AnyIssue): boolean {
  return issue.type === 'strict_object' && issue.expected === 'never';
}

/** `file: path: message`, or `file: message` for the document itself. */
export function formatIssue(file: string, issue: AnyIssue): string {
  const items = issue.path ?? [];
  const where = formatPath(isUnknownKey(issue) ? items.slice(0, -1) : items);
  return `${displayPath(file)}: ${where ? `${where}: ` : ''}${issue.message}`;
}

/** The error for problems found after the schema, in the same format. */
export function dataError(file: string, at: readonly PathKey[], message: string, hint?: string): InputError {
  const where = at.map((k) => (typeof k === 'number' ? `[${k}]` : IDENTIFIER.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`)).join('').replace(/^\./, '');
  return new InputError(`${displayPath(file)}: ${where ? `${where}: ` : ''}${message}`, hint === undefined ? {} : { hint });
}

/** Valibot's own messages are for programmers; anything a schema below does not word itself reads like this. */
function fallbackMessage(issue: AnyIssue): string {
  return `expected ${issue.expected ?? 'something else'}, got ${shown(issue.input)}`;
}

/**
 * Validate parsed JSON against a schema. `file` names the source in errors
 * (shown relative to the repository); every issue found is listed, one line
 * each, the first on the first line.
 */
export function parseData<S extends AnySchema>(schema: S, data: unknown, file: string, opts: { hint?: string } = {}): v.InferOutput<S> {
  const result = v.safeParse(schema, data, { abortEarly: false, message: fallbackMessage });
  if (result.success) return result.output;
  const lines = result.issues.slice(0, MAX_ISSUES).map((i) => formatIssue(file, i));
  if (result.issues.length > MAX_ISSUES) lines.push(`... and ${result.issues.length - MAX_ISSUES} more`);
  throw new InputError(lines.join('\n'), opts.hint === undefined ? {} : { hint: opts.hint });
}

/** JSON.parse with the file named in the error. */
export function parseJsonText(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError(`${displayPath(file)}: not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

/** Read and parse a JSON file; the InputError's cause is the fs error when it cannot be read. */
export async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(`${displayPath(file)}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  return parseJsonText(text, file);
}

/** Read a JSON file and validate it against a schema. */
export async function loadJsonFile<S extends AnySchema>(schema: S, file: string, opts: { hint?: string } = {}): Promise<v.InferOutput<S>> {
  return parseData(schema, await readJsonFile(file), file, opts);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The object without its "$…" documentation keys. */
function withoutComments(obj: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).filter(([k]) => !k.startsWith('$')));
}

/** `base` with another run function; the standard-schema entry point follows it. */
function withRun<S extends AnySchema>(base: AnySchema, run: AnySchema['~run']): S {
  const outer = { ...base, '~run': run };
  return { ...outer, '~standard': { ...base['~standard'], validate: (value: unknown) => run({ value }, v.getGlobalConfig()) } } as unknown as S;
}

/** Fails every value with `message` (a schema that only reports). */
const failing = (message: string) => v.custom(() => false, message);

/**
 * Wraps an object-like schema (strict object, record): arrays are not
 * objects here (valibot would take ["x"] as {"0": "x"}), and "$…" keys are
 * dropped before it looks. A wrapper rather than a pipe so the result keeps
 * its entries, which v.variant needs.
 */
function commentsAllowed<S extends AnySchema>(inner: S, what: string): S {
  const plainObject = v.custom<Record<string, unknown>>(isPlainObject, expected(what));
  return withRun<S>(inner, (dataset, config) => {
    if (!isPlainObject(dataset.value)) return plainObject['~run'](dataset, config);
    return inner['~run']({ ...dataset, value: withoutComments(dataset.value) }, config);
  });
}

/**
 * An object whose valid keys depend on which keys it has (an initrd given by
 * "manifest" or by "image"): `pick` chooses the schema, or says what is
 * wrong. Unlike v.union, errors are the chosen schema's, with their paths.
 */
export function chosenBy<S extends AnySchema>(pick: (obj: Record<string, unknown>) => S | string, what = 'an object'): v.GenericSchema<unknown, v.InferOutput<S>> {
  const plainObject = v.custom<Record<string, unknown>>(isPlainObject, expected(what));
  return withRun(plainObject, (dataset, config) => {
    if (!isPlainObject(dataset.value)) return plainObject['~run'](dataset, config);
    const chosen = pick(withoutComments(dataset.value));
    return typeof chosen === 'string' ? failing(chosen)['~run'](dataset, config) : chosen['~run'](dataset, config);
  });
}

/**
 * An object with exactly these keys (plus "$…" comments). A missing required
 * key reads `kernel.base: missing`; an unknown one names itself and the
 * valid ones.
 */
export function dataObject<E extends v.ObjectEntries>(entries: E) {
  const valid = Object.keys(entries).join(', ');
  return commentsAllowed(
    v.strictObject(entries, (issue) =>
      issue.expected === 'never' ? `unknown key ${shown(issue.input)} (valid: ${valid}; keys starting with $ are comments)` : 'missing',
    ),
    'an object',
  );
}

/** An object used as a map (name → entry), "$…" comments left out. */
export function dataRecord<K extends v.GenericSchema<string, string>, V extends AnySchema>(key: K, value: V, what = 'an object') {
  return commentsAllowed(v.record(key, value), what);
}

/**
 * Checks a schema cannot say (a base must exist, two entries may not share a
 * name), as a pipe action: `fn` returns what is wrong, with paths below the
 * value. Skipped when the value already failed its schema.
 */
export function problems<T>(fn: (value: T) => string | Problem | readonly Problem[] | undefined): v.RawCheckAction<T> {
  return v.rawCheck<T>(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const found = fn(dataset.value);
    if (found === undefined) return;
    const list = typeof found === 'string' ? [{ message: found }] : Array.isArray(found) ? found : [found as Problem];
    for (const p of list) {
      const items = pathItems(dataset.value, p.path ?? []);
      addIssue({ message: p.message, ...(items.length ? { path: items as [v.IssuePathItem, ...v.IssuePathItem[]] } : {}) });
    }
  });
}

/** Path items for keys below `root`, carrying values so entries get their labels. */
function pathItems(root: unknown, keys: readonly PathKey[]): v.IssuePathItem[] {
  const items: v.IssuePathItem[] = [];
  let input = root;
  for (const key of keys) {
    const value = (input as Record<PathKey, unknown> | undefined)?.[key];
    items.push({ type: 'unknown', origin: 'value', input, key, value });
    input = value;
  }
  return items;
}

/** A field check: `ok` says whether the value is acceptable, `why` what is wrong otherwise. */
export function must<T>(ok: (value: T) => boolean, why: (value: T) => string): v.RawCheckAction<T> {
  return problems<T>((x) => (ok(x) ? undefined : why(x)));
}

// Field schemas in the workbench's wording.

export const str = () => v.string(expected('a string'));

export const nonEmptyString = (what = 'a non-empty string') => v.custom<string>((x) => typeof x === 'string' && x.trim() !== '', expected(what));

export const bool = () => v.boolean(expected('true or false'));

/** A whole number in [min, max]. */
export const int = (min: number, max: number) =>
  v.custom<number>((x) => Number.isSafeInteger(x) && (x as number) >= min && (x as number) <= max, expected(`a whole number from ${min} to ${max}`));

export const oneOf = <const T extends readonly [string, ...string[]]>(values: T) => v.picklist(values, expected(`one of ${values.join(', ')}`));

export const list = <S extends AnySchema>(item: S, what = 'a list') => v.array(item, expected(what));

export const nonEmptyList = <S extends AnySchema>(item: S, what = 'a non-empty list') =>
  v.pipe(
    list(item, what),
    problems<v.InferOutput<S>[]>((l) => (l.length === 0 ? `expected ${what}, got []` : undefined)),
  );

const isStringOrList = (x: unknown): x is string | string[] =>
  typeof x === 'string' || (Array.isArray(x) && x.length > 0 && x.every((s) => typeof s === 'string'));

/**
 * A string or a non-empty list of strings, as a list (one value is the
 * common case in files). `itemProblem` checks each string, naming the index
 * only when a list was given.
 */
export const stringOrList = (itemProblem: (s: string) => string | undefined = () => undefined) =>
  v.pipe(
    v.custom<string | string[]>(isStringOrList, expected('a string or a non-empty list of strings')),
    problems<string | string[]>((x) =>
      typeof x === 'string'
        ? itemProblem(x)
        : x.flatMap((s, i) => {
            const message = itemProblem(s);
            return message === undefined ? [] : [{ path: [i], message }];
          }),
    ),
    v.transform((x): string[] => (typeof x === 'string' ? [x] : x)),
  );

/** Entries of a list (at `at`) that share a name: one problem per repeat, at the repeat. */
export function duplicateNames<T>(items: readonly T[], nameOf: (item: T) => string, what: string, at: readonly PathKey[] = []): Problem[] {
  const seen = new Set<string>();
  const out: Problem[] = [];
  items.forEach((item, i) => {
    const name = nameOf(item);
    if (seen.has(name)) out.push({ path: [...at, i], message: `two ${what} are named ${shown(name)}` });
    seen.add(name);
  });
  return out;
}
