/**
 * iofs-build.json, the record `iofs kernel build` leaves in each build
 * directory: where it is and the one way to read it back, validated, so a
 * truncated or hand-edited record names its file and key.
 */
import path from 'node:path';
import * as v from 'valibot';
import { InputError } from '../common/errors.js';
import { bool, expected, int, list, loadJsonFile, oneOf, str } from '../common/schema.js';
import type { BuildMetadata } from './build.js';

/** The record in a build directory. */
export function buildRecordIn(buildDir: string): string {
  return path.join(buildDir, 'iofs-build.json');
}

/** The build directory a boot image would be in (<build>/arch/<arch>/boot/<image>). */
export function buildDirOf(image: string): string {
  return path.resolve(path.dirname(image), '..', '..', '..');
}

/** The record beside a boot image; it may not exist (a kernel not built by iofs). */
export function buildRecordBeside(image: string): string {
  return buildRecordIn(buildDirOf(image));
}

/**
 * Unlike dataObject, keys it does not know are ignored: build directories
 * live in the shared cache, and a newer checkout may have added one.
 */
function recorded<E extends v.ObjectEntries>(entries: E) {
  return v.object(entries, (issue) => (issue.expected === 'Object' ? expected('an object')(issue) : 'missing'));
}

const count = () => int(0, Number.MAX_SAFE_INTEGER);
const seconds = () => v.number(expected('a number of seconds'));
const artifact = () => recorded({ path: str(), bytes: count() });

// Optional: what records written before the field existed lack.
const buildRecordSchema = recorded({
  base: str(),
  arch: v.optional(str()),
  baseVersion: str(),
  variant: oneOf(['pristine', 'patched', 'tree']),
  tree: recorded({ path: str(), head: str(), baseRef: str(), baseCommit: str(), commitsOnBase: count(), dirty: bool() }),
  seriesHash: str(),
  seriesState: v.optional(v.nullable(oneOf(['applied', 'partial', 'base', 'diverged']))),
  fragments: list(recorded({ name: str(), path: str(), sha256: str() })),
  configHash: str(),
  kernelRelease: str(),
  ccache: bool(),
  jobs: count(),
  reconfigured: bool(),
  durations: recorded({ configSeconds: seconds(), buildSeconds: seconds() }),
  artifacts: recorded({ bzImage: artifact(), vmlinux: artifact(), config: str(), buildLog: str() }),
  finishedAt: str(),
});

/** Reads and validates a build record; an InputError names the file and key. */
export async function readBuildRecord(file: string): Promise<BuildMetadata> {
  return loadJsonFile(buildRecordSchema, file, { hint: 'iofs kernel build writes it: building again rewrites it' });
}

/** As readBuildRecord, but undefined when there is no such file (a kernel not built by iofs). */
export async function readBuildRecordIfAny(file: string): Promise<BuildMetadata | undefined> {
  try {
    return await readBuildRecord(file);
  } catch (err) {
    if (err instanceof InputError && (err.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return undefined;
    throw err;
  }
}
