import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';

/** The repository root (this file is tools/common/paths.ts). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const kernelPatchesDir = path.join(repoRoot, 'kernel-patches');
export const testVmsDir = path.join(repoRoot, 'test-vms');

/**
 * Where kernel trees, build directories, ccache, downloaded sources, the SSH
 * key and run logs live: `$IOFS_CACHE`, else `$XDG_CACHE_HOME/iofs`, else
 * `~/.cache/iofs`. Outside the checkout on purpose: a second clone, a git
 * worktree or CI's fresh clone on the same machine reuses trees, builds and
 * ccache instead of building every kernel cold (locks make sharing safe).
 */
export function cacheDir(env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string {
  if (env.IOFS_CACHE) return path.resolve(env.IOFS_CACHE);
  if (env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME)) return path.join(env.XDG_CACHE_HOME, 'iofs');
  return path.join(home, '.cache', 'iofs');
}
