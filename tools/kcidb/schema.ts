/**
 * KCIDB's published JSON schema (v5.3, vendored in schema/ with its source
 * and license, see schema/NOTICE.md) and validation against it. Ajv loads
 * only when a document is validated: the CLI registers --kcidb on verbs
 * that must stay cheap to start.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode, IofsError } from '../common/errors.js';
import type { KcidbDocument } from './model.js';

export const KCIDB_VERSION = { major: 5, minor: 3 } as const;
export const KCIDB_SCHEMA_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'schema', 'kcidb-v5.3.json');

export function loadKcidbSchema(): Record<string, unknown> {
  return JSON.parse(readFileSync(KCIDB_SCHEMA_FILE, 'utf8')) as Record<string, unknown>;
}

export interface KcidbProblem {
  /** JSON pointer into the document, e.g. /tests/3/path. */
  path: string;
  message: string;
}

type Validate = ((doc: unknown) => boolean) & { errors?: Array<{ instancePath: string; message?: string; params?: unknown }> | null };
let compiled: Validate | undefined;
type AddFormats = (ajv: unknown) => unknown;

/** Compiles the vendored schema once (draft-07 with formats, as kcidb-io's Draft7Validator does). */
export async function kcidbValidator(): Promise<Validate> {
  if (compiled) return compiled;
  const { Ajv } = await import('ajv');
  // ajv-formats is CommonJS: its function is `default`, or `default.default` through some loaders.
  const mod = (await import('ajv-formats')) as unknown as { default: AddFormats | { default: AddFormats } };
  const formats: AddFormats = typeof mod.default === 'function' ? mod.default : mod.default.default;
  // strict false: the schema carries annotations (examples) and "$defs" under draft-07, as published.
  const ajv = new Ajv({ allErrors: true, strict: false });
  formats(ajv);
  compiled = ajv.compile(loadKcidbSchema()) as Validate;
  return compiled;
}

/** Every way the document breaks the schema, each with the JSON path. Empty: valid. */
export async function kcidbProblems(doc: unknown): Promise<KcidbProblem[]> {
  const validate = await kcidbValidator();
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e) => ({
    path: e.instancePath || '/',
    message: `${e.message ?? 'invalid'}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ''}`,
  }));
}

/**
 * Throws when the document does not validate: the workbench wrote something
 * KCIDB would refuse, which is a bug in tools/kcidb, never the user's input.
 */
export async function assertValidKcidb(doc: KcidbDocument): Promise<void> {
  const problems = await kcidbProblems(doc);
  if (problems.length === 0) return;
  throw new IofsError(
    `internal error: the KCIDB document does not validate against KCIDB schema v${KCIDB_VERSION.major}.${KCIDB_VERSION.minor}:\n${problems
      .slice(0, 10)
      .map((p) => `  ${p.path}: ${p.message}`)
      .join('\n')}`,
    { exitCode: ExitCode.INFRA, hint: `nothing was written; please report it with the command line (schema: ${KCIDB_SCHEMA_FILE})` },
  );
}
