import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../common/paths.js';
import { makeFixture, tempDir } from './testutil.js';

const iofs = (args: string[]) => execa('node', [path.join(repoRoot, 'tools/cli/iofs.mjs'), ...args], { reject: false });

let dir: string;
let manifest: string;
beforeAll(async () => {
  dir = await tempDir();
  manifest = await makeFixture(dir);
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('iofs initrd (CLI)', () => {
  it('pack prints "PATH BYTES"; inspect --json reads it back; an early segment comes first', async () => {
    const early = path.join(dir, 'early.json');
    await fs.writeFile(early, JSON.stringify({ inline: [{ dst: '/kernel/x86/microcode/AuthenticAMD.bin', content: 'ucode' }] }));
    const out = path.join(dir, 'a.cpio.zst');
    const r = await iofs(['initrd', 'pack', '-m', manifest, '-f', 'cpio', '-c', 'zstd', '--early-manifest', early, '--payload', '2M', '-o', out]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${out} ${(await fs.stat(out)).size}`); // execa strips the final newline
    const j = await iofs(['initrd', 'inspect', '--json', out]);
    const report = JSON.parse(j.stdout) as { kind: string; segments: Array<{ compression: string; entries: number; uncompressedBytes: number }> };
    expect(report.kind).toBe('cpio');
    expect(report.segments.map((s) => s.compression)).toEqual(['none', 'zstd']);
    expect(report.segments[0]!.entries).toBe(4);
    expect(report.segments[1]!.uncompressedBytes).toBeGreaterThan(2 << 20);
    const human = await iofs(['initrd', 'inspect', out]);
    expect(human.stdout).toMatch(/2 segment\(s\)\n#\s+offset\s+length\s+compression\s+entries/);
  });

  it('inspect on garbage: exit 2 and says what it is not', async () => {
    const junk = path.join(dir, 'junk');
    await fs.writeFile(junk, 'hello');
    const r = await iofs(['initrd', 'inspect', junk]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/neither a cpio initramfs nor an EROFS image/);
    expect(r.stdout).toBe('');
  });

  it('bad input: exit 2, valid values listed, nothing written', async () => {
    const out = path.join(dir, 'never');
    const bad = await iofs(['initrd', 'pack', '-m', manifest, '-f', 'cpio', '-c', 'lzma', '-o', out]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('valid are none, gzip, zstd, lz4, xz');
    const fmt = await iofs(['initrd', 'pack', '-m', manifest, '-f', 'ext4', '-o', out]);
    expect(fmt.exitCode).toBe(2);
    expect(fmt.stderr).toContain('unknown format "ext4": valid are cpio, erofs');
    const missing = await iofs(['initrd', 'pack', '-m', path.join(dir, 'nope.json'), '-f', 'cpio', '-o', out]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/nope\.json: cannot read: ENOENT/);
    expect((await fs.readdir(dir)).filter((f) => f.includes('never'))).toEqual([]);
  });

  it('pack --verity appends the tree and writes the fragment; --verity on a cpio or with appended archives is refused before packing', async () => {
    const out = path.join(dir, 'v.img');
    const cmdline = path.join(dir, 'v.cmdline');
    const r = await iofs(['initrd', 'pack', '-m', manifest, '-f', 'erofs', '--verity', '--cmdline', cmdline, '-o', out]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${out} ${(await fs.stat(out)).size}`);
    const fragment = (await fs.readFile(cmdline, 'utf8')).trim();
    expect(fragment).toMatch(/^initrd_erofs_verity=[0-9a-f]{64}$/);
    const j = JSON.parse((await iofs(['initrd', 'inspect', '--json', out])).stdout) as { verity?: { cmdline: string } };
    expect(j.verity?.cmdline).toBe(fragment);

    const never = path.join(dir, 'never-verity');
    const cpio = await iofs(['initrd', 'pack', '-m', manifest, '-f', 'cpio', '--verity', '-o', never]);
    expect(cpio.exitCode).toBe(2);
    expect(cpio.stderr).toContain('--verity applies to -f erofs');
    const appended = await iofs(['initrd', 'pack', '-m', manifest, '-f', 'erofs', '--verity', '--append-manifest', manifest, '-o', never]);
    expect(appended.exitCode).toBe(2);
    expect(appended.stderr).toContain('--verity and --append-manifest');
    expect((await fs.readdir(dir)).filter((f) => f.includes('never-verity'))).toEqual([]);
  });
});
