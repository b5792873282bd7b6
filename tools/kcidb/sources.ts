/** The effects around map.ts: read what a KCIDB object needs from the disk, write the document. */
import { promises as fs } from 'node:fs';
import { writeFileAtomic } from '../common/atomic.js';
import { git, readSeries, seriesHash } from '../git/index.js';
import { getBase, patchesDir, readBuildRecordIfAny } from '../kernel/index.js';
import type { BuildFacts } from './map.js';
import type { KcidbDocument } from './model.js';
import { assertValidKcidb } from './schema.js';

/** CONFIG_CC_VERSION_TEXT of a .config, e.g. "gcc (Debian 12.2.0-14+deb12u1) 12.2.0". Pure. */
export function compilerOf(configText: string): string | undefined {
  return /^CONFIG_CC_VERSION_TEXT="(.*)"$/m.exec(configText)?.[1];
}

/** The facts of the build whose iofs-build.json this is; undefined when there is none (a foreign kernel). */
export async function readBuildFacts(metadataPath: string | undefined): Promise<BuildFacts | undefined> {
  if (!metadataPath) return undefined;
  const meta = await readBuildRecordIfAny(metadataPath);
  if (!meta) return undefined;
  const config = await fs.readFile(meta.artifacts.config, 'utf8').catch(() => '');
  const compiler = compilerOf(config);
  // The series on disk now, only if it is the series that was built (same KCIDB hash).
  const current = meta.variant === 'pristine' ? [] : await seriesFiles(meta.base);
  const patchFiles = current.length && (await seriesHash(current)) === meta.seriesHash ? current : [];
  const remote = await git(meta.tree.path, ['remote', 'get-url', 'origin']).catch(() => '');
  return {
    metadataPath,
    meta,
    ...(compiler ? { compiler } : {}),
    patchFiles,
    ...(/^https:\/\/\S+$/.test(remote.trim()) ? { gitRepositoryUrl: remote.trim() } : {}),
  };
}

/** kernel-patches/<base>/ files in series order ([] when the base or its series is missing). */
export async function seriesFiles(base: string): Promise<string[]> {
  try {
    return (await readSeries(patchesDir(await getBase(base)))).files;
  } catch {
    return [];
  }
}

/** Validates (a document KCIDB would refuse is a bug: nothing is written) and writes atomically. */
export async function writeKcidb(file: string, doc: KcidbDocument): Promise<void> {
  await assertValidKcidb(doc);
  await writeFileAtomic(file, `${JSON.stringify(doc, null, 2)}\n`);
}
