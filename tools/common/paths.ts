import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The repository root (this file is tools/common/paths.ts). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const kernelPatchesDir = path.join(repoRoot, 'kernel-patches');
export const testVmsDir = path.join(repoRoot, 'test-vms');

/**
 * Where kernel trees, build directories, the SSH key and run logs live.
 * Default `<repo>/.cache` (git-ignored); `IOFS_CACHE` overrides it so a
 * developer can keep large trees on another disk.
 */
export function cacheDir(): string {
  const fromEnv = process.env.IOFS_CACHE;
  return fromEnv ? path.resolve(fromEnv) : path.join(repoRoot, '.cache');
}
