/**
 * The packer when things go wrong under it, and when names are hostile:
 * a full disk, Ctrl-C mid-pack, and file names with spaces, quotes and
 * leading dashes (never passed through a shell, so they must just work).
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../common/errors.js';
import { repoRoot } from '../common/paths.js';
import { packInitrd } from './index.js';
import { tempDir } from './testutil.js';

const iofsBin = path.join(repoRoot, 'tools/cli/iofs.mjs');
const isRoot = process.getuid?.() === 0;

let dir: string;
beforeAll(async () => {
  dir = await tempDir('iofs-failures-');
});
afterAll(async () => {
  await execa('umount', [path.join(dir, 'small')], { reject: false });
  await fs.rm(dir, { recursive: true, force: true });
});

/** A manifest with one binary, so packs are quick; payload makes them as big as asked. */
async function smallManifest(at: string, extra: Record<string, unknown> = {}): Promise<string> {
  await fs.mkdir(at, { recursive: true });
  const file = path.join(at, 'manifest.json');
  await fs.writeFile(file, JSON.stringify({ description: 'tiny', binaries: ['/bin/busybox'], ...extra }));
  return file;
}

describe('pack on a full disk', () => {
  // Mounting a 4 MiB tmpfs needs root; the workbench's CI runs as root.
  it.skipIf(!isRoot).each(['cpio', 'erofs'])('%s: a clear error naming the output, exit 5, nothing left behind', async (format) => {
    const small = path.join(dir, 'small');
    await fs.mkdir(small, { recursive: true });
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', small]);
    try {
      const manifest = await smallManifest(path.join(dir, `m-${format}`));
      const out = path.join(small, `guest.${format}`);
      const r = await execa('node', [iofsBin, 'initrd', 'pack', '-m', manifest, '-f', format, '--payload', '24M', '-o', out], { reject: false });
      expect(r.exitCode, String(r.stderr)).toBe(ExitCode.INFRA);
      expect(String(r.stderr)).toContain(`error: no space left on the filesystem holding ${out}: the ${format} image could not be written (nothing was left at that path)`);
      expect(String(r.stderr)).toContain(`hint: free space there (df -h ${small})`);
      // No truncated image, no temporary file, no staging directory.
      expect(await fs.readdir(small)).toEqual([]);
    } finally {
      await execa('umount', [small], { reject: false });
    }
  });
});

describe('Ctrl-C during a pack', () => {
  it('exits 130, leaves no output or temporary file, and stops its compressor', async () => {
    const manifest = await smallManifest(path.join(dir, 'm-int'));
    const outDir = path.join(dir, 'int-out');
    await fs.mkdir(outDir);
    const out = path.join(outDir, 'guest.cpio.zst');
    // zstd at a level nothing else here uses, so its process can be told apart.
    const child = execa('node', [iofsBin, 'initrd', 'pack', '-m', manifest, '-f', 'cpio', '-c', 'zstd,17', '--payload', '1G', '-o', out], { reject: false, env: { CI: '1' } });
    // Wait until the compressor is running and has written something.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const tmp = (await fs.readdir(outDir)).find((f) => f.includes('.tmp-'));
      if (tmp && (await fs.stat(path.join(outDir, tmp))).size > 0) break;
      if (Date.now() > deadline) throw new Error('the pack never started writing');
      await new Promise((r) => setTimeout(r, 200));
    }
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode, String(r.stderr)).toBe(ExitCode.INTERRUPTED);
    expect(await fs.readdir(outDir)).toEqual([]);
    await new Promise((res) => setTimeout(res, 500));
    const ps = await execa('ps', ['-eo', 'pid,args'], { reject: false });
    expect(String(ps.stdout).split('\n').filter((l) => /\bzstd -17\b/.test(l))).toEqual([]);
  });
});

describe('hostile names', () => {
  const names = ['-rf', '--help', 'a b', "it's", 'say "hi"', '$(touch pwned)', '`id`', 'semi;colon', 'back\\slash', '*'];

  it.each(['cpio', 'erofs'])('%s: names with spaces, quotes, leading dashes and shell syntax are packed as they are', async (format) => {
    // The manifest itself lives in a directory with an awkward name too.
    const at = path.join(dir, `-x 'odd' "dir" ${format}`);
    await fs.mkdir(at, { recursive: true });
    for (const n of names) await fs.writeFile(path.join(at, `src ${n.replace(/[\\/]/g, '_')}`), `content of ${n}\n`);
    const manifest = await smallManifest(at, {
      files: names.map((n) => ({ src: `src ${n.replace(/[\\/]/g, '_')}`, dst: `/data/${n}` })),
      symlinks: [{ path: '/-link to "a b"', target: 'data/a b' }],
    });
    const out = path.join(at, `-out '${format}' image`);
    await packInitrd({ manifestPath: manifest, format: format as 'cpio' | 'erofs', compress: 'none', output: out });
    // Extracted by the real tools.
    const x = path.join(dir, `extract-${format}`);
    await fs.mkdir(x);
    if (format === 'cpio') await execa('cpio', ['-idm', '--quiet', '--no-absolute-filenames'], { cwd: x, inputFile: out });
    else await execa('fsck.erofs', [`--extract=${x}`, out]);
    const got = new Map<string, string>();
    for (const n of names) got.set(`data/${n}`, await fs.readFile(path.join(x, 'data', n), 'utf8'));
    got.set('-link to "a b"', await fs.readlink(path.join(x, '-link to "a b"')));
    for (const n of names) expect(got.get(`data/${n}`), n).toBe(`content of ${n}\n`);
    expect(got.get('-link to "a b"')).toBe('data/a b');
    // Nothing was run by a shell along the way.
    expect(existsSync(path.join(process.cwd(), 'pwned'))).toBe(false);
    expect(existsSync(path.join(at, 'pwned'))).toBe(false);
  });
});
