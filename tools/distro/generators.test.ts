import { execa } from 'execa';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { earlyCpioHook, fixedToolsHook, generateInitrd, generatorCommand, namespaceScript } from './generators.js';

const kernel = { release: '7.3.4+', buildDir: '/b' };

describe('distribution generators', () => {
  it('runs mkinitramfs with a private configuration, dracut generic with systemd', () => {
    expect(generatorCommand({ generator: 'initramfs-tools', kernel, output: '/r/i.cpio.zst' }, '/w/conf', '/w/tmp')).toEqual(['mkinitramfs', '-d', '/w/conf', '-o', '/r/i.cpio.zst', '7.3.4+']);
    const dracut = generatorCommand({ generator: 'dracut', kernel, output: '/r/d.cpio.zst' }, '', '/w/tmp');
    expect(dracut).toContain('--no-hostonly');
    expect(dracut.slice(dracut.indexOf('--kver'), dracut.indexOf('--kver') + 2)).toEqual(['--kver', '7.3.4+']);
    expect(dracut.at(-1)).toBe('/r/d.cpio.zst');
  });

  it('binds the kernel files in a private mount namespace, then execs the generator', async () => {
    const r = await execa('sh', ['-c', namespaceScript().replace(/mount --bind/g, 'echo bind'), 'x', '/w/boot', '/w/modules', 'echo', 'generator', 'ran']);
    expect(r.stdout).toBe('bind /w/boot /boot\nbind /w/modules /usr/lib/modules\ngenerator ran');
  });

  it('the hook replaces run-init and every busybox link, and only those', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'iofs-hook-'));
    try {
      const dest = path.join(dir, 'dest');
      await fs.mkdir(path.join(dest, 'usr', 'bin'), { recursive: true });
      await fs.mkdir(path.join(dest, 'usr', 'sbin'), { recursive: true });
      await fs.writeFile(path.join(dest, 'usr', 'bin', 'busybox'), 'old busybox');
      await fs.link(path.join(dest, 'usr', 'bin', 'busybox'), path.join(dest, 'usr', 'sbin', 'run-init'));
      await fs.writeFile(path.join(dest, 'usr', 'bin', 'run-init'), 'old klibc run-init');
      await fs.writeFile(path.join(dest, 'usr', 'bin', 'other'), 'other');
      await fs.writeFile(path.join(dir, 'new busybox'), 'new busybox');
      await fs.writeFile(path.join(dir, "new run-init's"), 'new run-init');
      const hook = path.join(dir, 'hook');
      await fs.writeFile(hook, fixedToolsHook({ runInit: path.join(dir, "new run-init's"), busybox: path.join(dir, 'new busybox') }), { mode: 0o755 });
      expect((await execa(hook, ['prereqs'])).stdout).toBe('');
      await execa(hook, [], { env: { DESTDIR: dest } });
      const read = (p: string): Promise<string> => fs.readFile(path.join(dest, p), 'utf8');
      expect([await read('usr/bin/busybox'), await read('usr/sbin/run-init'), await read('usr/bin/run-init'), await read('usr/bin/other')]).toEqual(['new busybox', 'new busybox', 'new run-init', 'other']);
      expect((await fs.readdir(path.join(dest, 'usr', 'bin'))).sort()).toEqual(['busybox', 'other', 'run-init']);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it("the early hook prepends the cpio with initramfs-tools' own function, as a microcode package's hook does", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'iofs-early-'));
    try {
      const early = path.join(dir, "early cpio's");
      await fs.writeFile(early, 'EARLY');
      const hook = path.join(dir, 'hook');
      await fs.writeFile(hook, earlyCpioHook(early), { mode: 0o755 });
      expect((await execa(hook, ['prereqs'])).stdout).toBe('');
      // mkinitramfs exports __TMPEARLYCPIO and puts its content in front of the main archive.
      const tmpEarly = path.join(dir, 'tmp-early');
      await fs.writeFile(tmpEarly, '');
      await execa(hook, [], { env: { __TMPEARLYCPIO: tmpEarly, DESTDIR: dir } });
      expect(await fs.readFile(tmpEarly, 'utf8')).toBe('EARLY');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses an early cpio for dracut before doing anything', async () => {
    await expect(generateInitrd({ generator: 'dracut', kernel, output: '/nonexistent/d.img', workDir: '/nonexistent/w', earlyCpio: '/e.cpio' })).rejects.toThrow(/dracut --early-microcode/);
  });
});
