/**
 * iofs as installed (npm link / npm install -g .): a symlink in a bin
 * directory, run from anywhere. tsx, node_modules and the data files
 * (kernel-patches/, test-vms/) must be found from the package, never from
 * the working directory.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../common/paths.js';

let dir: string;
let bin: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'iofs-install-'));
  await mkdir(path.join(dir, 'bin'));
  bin = path.join(dir, 'bin', 'iofs');
  await symlink(path.join(repoRoot, 'tools', 'cli', 'iofs.mjs'), bin);
  // Another project's tsconfig in the working directory must not matter.
  await writeFile(path.join(dir, 'tsconfig.json'), '{ "extends": "./missing.json", "compilerOptions": { "target": "es5" } }');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return promisify(execFile)(bin, args, { cwd: dir, env: { ...process.env, CI: '1' } }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

describe('iofs through a symlink, run from another directory', () => {
  it('--version reads package.json and bases.json from the package', async () => {
    const r = await run(['--version']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^iofs \d+\.\d+\.\d+ \(primary kernel base \S+\)\n$/);
  });

  it('bisect-run, as git bisect run calls it from a kernel tree: scenarios come from the package; a wrong tree aborts (255)', async () => {
    const r = await run(['bisect-run', 'cpio-gzip', '--tree', '.']);
    expect(r.code).toBe(255);
    expect(r.stderr).toContain(`--tree ${dir} is not a kernel source tree`);
    const missing = await run(['bisect-run', 'no-such-scenario']);
    expect(missing.code).toBe(255);
    expect(missing.stderr).toContain(path.join('test-vms', 'scenarios', 'no-such-scenario.json'));
  });
});
