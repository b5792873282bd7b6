import { promises as fs } from 'node:fs';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { libraryClosure, parseElf } from './elf.js';

/** ldd's view: every resolved path, plus the interpreter line (no vdso). */
async function lddPaths(binary: string): Promise<string[]> {
  const r = await execa('ldd', [binary], { reject: false });
  if (/not a dynamic executable/.test(r.stdout + r.stderr)) return [];
  const out: string[] = [];
  for (const line of r.stdout.split('\n')) {
    const arrow = /=>\s+(\/\S+)/.exec(line);
    if (arrow) out.push(arrow[1]!);
    else if (/^\s*\/\S+ \(0x/.test(line)) out.push(line.trim().split(' ')[0]!);
  }
  return out.sort();
}

describe('shared-library closure from ELF headers', () => {
  it.each(['/usr/sbin/dropbear', '/usr/bin/ssh', '/bin/busybox', '/bin/bash'])('equals ldd for %s', async (binary) => {
    const c = await libraryClosure(binary);
    const ours = [...(c.interpreter ? [c.interpreter] : []), ...c.libraries.map((l) => l.path)].sort();
    expect(ours).toEqual(await lddPaths(binary));
  });

  it('a static binary has no interpreter and no libraries', async () => {
    const c = await libraryClosure('/bin/busybox');
    expect(c.interpreter).toBeUndefined();
    expect(c.libraries).toEqual([]);
  });

  it('reads DT_SONAME, DT_NEEDED and PT_INTERP', async () => {
    const libc = parseElf(await fs.readFile('/lib/x86_64-linux-gnu/libc.so.6'));
    expect(libc).toMatchObject({ bits: 64, littleEndian: true, machine: 62, soname: 'libc.so.6' });
    expect(libc!.needed).toContain('ld-linux-x86-64.so.2');
    expect(parseElf(await fs.readFile('/bin/bash'))!.interp).toBe('/lib64/ld-linux-x86-64.so.2');
    expect(parseElf(Buffer.from('#!/bin/sh\necho not elf\n'.padEnd(64)))).toBeUndefined();
  });

  it('honours DT_RUNPATH with $ORIGIN and names a missing library', async () => {
    const dir = await fs.mkdtemp('/tmp/iofs-elf-');
    await fs.mkdir(`${dir}/lib`);
    await fs.writeFile(`${dir}/lib.c`, 'int f(void){return 1;}\n');
    await fs.writeFile(`${dir}/main.c`, 'int f(void); int main(void){return f();}\n');
    await execa('cc', ['-shared', '-fPIC', '-Wl,-soname,libiofstest.so.1', '-o', `${dir}/lib/libiofstest.so.1`, `${dir}/lib.c`]);
    await execa('cc', ['-o', `${dir}/main`, `${dir}/main.c`, `${dir}/lib/libiofstest.so.1`, '-Wl,--enable-new-dtags,-rpath,$ORIGIN/lib']);
    const c = await libraryClosure(`${dir}/main`);
    expect(c.libraries.map((l) => l.path)).toContain(`${dir}/lib/libiofstest.so.1`);
    expect([c.interpreter, ...c.libraries.map((l) => l.path)].sort()).toEqual(await lddPaths(`${dir}/main`));
    await fs.rm(`${dir}/lib/libiofstest.so.1`);
    await expect(libraryClosure(`${dir}/main`)).rejects.toThrow(/needs libiofstest\.so\.1 .*not found in: .*\/lib/);
    await fs.rm(dir, { recursive: true });
  });

  it('reads ELF32 and skips a library of the wrong class, as ld.so does', async () => {
    const dir = await fs.mkdtemp('/tmp/iofs-elf32-');
    await fs.mkdir(`${dir}/a`);
    await fs.mkdir(`${dir}/b`);
    await fs.writeFile(`${dir}/l.c`, 'int f(void){return 1;}\n');
    await fs.writeFile(`${dir}/m.c`, 'int f(void); void _start(void){f();}\n');
    // No 32-bit libc here: -nostdlib objects still have PT_INTERP, DT_NEEDED, DT_RUNPATH.
    await execa('cc', ['-m32', '-shared', '-fPIC', '-nostdlib', '-Wl,-soname,libx.so.1', '-o', `${dir}/b/libx.so.1`, `${dir}/l.c`]);
    await execa('cc', ['-shared', '-fPIC', '-nostdlib', '-Wl,-soname,libx.so.1', '-o', `${dir}/a/libx.so.1`, `${dir}/l.c`]);
    await execa('cc', ['-m32', '-nostdlib', '-fPIE', '-pie', '-Wl,--dynamic-linker=/lib/ld-linux.so.2', '-Wl,--enable-new-dtags,-rpath,$ORIGIN/a:$ORIGIN/b', '-o', `${dir}/m`, `${dir}/m.c`, `${dir}/b/libx.so.1`]);
    const info = parseElf(await fs.readFile(`${dir}/m`));
    expect(info).toMatchObject({ bits: 32, littleEndian: true, machine: 3, interp: '/lib/ld-linux.so.2', needed: ['libx.so.1'], runpath: ['$ORIGIN/a', '$ORIGIN/b'] });
    const c = await libraryClosure(`${dir}/m`);
    expect(c.libraries).toEqual([{ name: 'libx.so.1', path: `${dir}/b/libx.so.1`, neededBy: `${dir}/m` }]);
    await fs.rm(dir, { recursive: true });
  });
});
