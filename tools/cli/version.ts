import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from '../common/paths.js';

/** `iofs --version`: the package's version and the primary kernel base (bases.json is small: cheap to read). */
export async function versionText(): Promise<string> {
  const pkg = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  // bases.ts, not the kernel index: it loads nothing but the JSON.
  const { primaryBaseName } = await import('../kernel/bases.js');
  const base = await primaryBaseName().then(
    (name) => `primary kernel base ${name}`,
    (err: unknown) => `no primary kernel base: ${(err as Error).message}`,
  );
  return `iofs ${pkg.version} (${base})\n`;
}
