/**
 * The real 6.12 kernel: prepare the tree from the Debian tarball, build the
 * pristine kernel with the default fragments, and stop a build whose
 * fragment asks for a symbol Kconfig drops. Shares the global cache
 * (IOFS_CACHE, else ~/.cache/iofs) so other integration tests reuse the build.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../common/paths.js';
import { buildDirOf, buildKernel, buildRecordBeside, getBase, prepareTree, readBuildRecord } from './index.js';

const iofs = path.join(repoRoot, 'tools', 'cli', 'iofs.mjs');

describe('kernel 6.12', () => {
  it('prepares the tree reproducibly (tagged base commit by iofs, dated 2000-01-01)', async () => {
    const tree = await prepareTree(await getBase('6.12'));
    const show = await execa('git', ['log', '-1', '--format=%an <%ae> %ad %cn %cd%n%s', '--date=iso-strict', 'base-6.12'], { cwd: tree.path });
    expect(String(show.stdout)).toBe(
      'iofs <iofs@localhost> 2000-01-01T00:00:00+00:00 iofs 2000-01-01T00:00:00+00:00\nLinux 6.12.117 (Debian linux-source-6.12)',
    );
    expect(tree.baseCommit).toMatch(/^[0-9a-f]{40}$/);
    // Idempotent: a second prepare reuses the tree.
    expect((await prepareTree(await getBase('6.12'))).baseCommit).toBe(tree.baseCommit);
  });

  it('builds the pristine kernel with the guest fragments and prints the bzImage last', async () => {
    const r = await execa('node', [iofs, 'kernel', 'build', '--base', '6.12', '--no-patches', '--config', 'guest', 'erofs'], {
      reject: false,
      env: { CI: '1' },
    });
    expect(r.exitCode, String(r.stderr).slice(-3000)).toBe(0);
    const bzImage = String(r.stdout).trim().split('\n').pop() as string;
    expect(bzImage).toMatch(/pristine\/builds\/6\.12-pristine-[0-9a-f]{12}\/arch\/x86\/boot\/bzImage$/);
    expect((await stat(bzImage)).size).toBeGreaterThan(500_000);
    const buildDir = buildDirOf(bzImage);
    // Through the reader: the record a real build writes passes its schema.
    const meta = await readBuildRecord(buildRecordBeside(bzImage));
    expect(meta.base).toBe('6.12');
    expect(meta.baseVersion).toBe('6.12.117');
    expect(meta.variant).toBe('pristine');
    expect(meta.kernelRelease).toMatch(/^6\.12/);
    expect(meta.tree.head).toBe(meta.tree.baseCommit);
    expect(meta.artifacts.bzImage).toEqual({ path: bzImage, bytes: (await stat(bzImage)).size });
    expect(meta.fragments.map((f) => f.name)).toEqual(['guest', 'erofs']);
    expect(existsSync(path.join(buildDir, 'build.log'))).toBe(true);
    const config = await readFile(meta.artifacts.config, 'utf8');
    expect(config).toContain('CONFIG_EROFS_FS=y');
  });

  it('stops before compiling when Kconfig drops a symbol a fragment asked for, naming it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'iofs-frag-'));
    const fragment = path.join(dir, 'dropped.config');
    // EXT4_FS is off in tinyconfig and the guest fragment: its ACL option cannot be set.
    await writeFile(fragment, '# needs CONFIG_EXT4_FS, which nothing enables\nCONFIG_EXT4_FS_POSIX_ACL=y\n');
    const err = await buildKernel({ base: '6.12', fragments: ['guest', fragment], withPatches: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    const e = err as Error & { exitCode: number; hint?: string };
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain(`CONFIG_EXT4_FS_POSIX_ACL=y (asked by ${fragment}:2) ended up not set`);
    expect(e.message).toMatch(/defined in fs\/ext4\/Kconfig:\d+ \(depends on EXT4_FS\)/);
    expect(e.hint).toContain('menuconfig');
    // Nothing was compiled in that build directory.
    const buildDir = /O=(\S+) menuconfig/.exec(e.hint ?? '')?.[1] as string;
    expect(existsSync(path.join(buildDir, '.config'))).toBe(true);
    expect(existsSync(path.join(buildDir, 'init', 'main.o'))).toBe(false);
    expect(existsSync(path.join(buildDir, 'vmlinux'))).toBe(false);
    expect((await readdir(buildDir)).includes('iofs-config.json')).toBe(false);
  });
});
