/**
 * `iofs vm boot --gdb` with a real gdb: the core kernel boots halted with
 * QEMU's gdbstub on loopback; gdb, started as the verb prints it, stops the
 * kernel at start_kernel by symbol (nokaslr keeps vmlinux's addresses) and
 * kills the guest, which ends QEMU. Debug info and the lx-* helpers come
 * with the gdb config fragment; symbols alone are enough for this proof.
 */
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../common/paths.js';
import { pickFreePort } from './ports.js';
import { buildKernelOnce } from './runner.js';
import { coreKernelSpec } from './testkernel.js';

const iofs = path.join(repoRoot, 'tools', 'cli', 'iofs.mjs');

describe('vm boot --gdb', () => {
  it('halts for the debugger, which breaks on start_kernel by symbol and ends the guest', async () => {
    const spec = await coreKernelSpec();
    const build = await buildKernelOnce({ base: spec.base, fragments: spec.fragments, withPatches: true });
    const port = await pickFreePort();
    const boot = execa('node', [iofs, 'vm', 'boot', '-k', build.bzImage, '--gdb', String(port), '--accel', 'tcg', '-m', '256'], { reject: false, all: true, stdin: 'ignore' });
    const vmlinux = path.join(build.buildDir, 'vmlinux');
    let gdb = { exitCode: -1, all: '' as string };
    // The stub listens once QEMU is up: retry the connection for a while.
    for (let i = 0; i < 30; i++) {
      const r = await execa('gdb', ['-q', '-batch', '-nx', vmlinux, '-ex', `target remote 127.0.0.1:${port}`, '-ex', 'hbreak start_kernel', '-ex', 'continue', '-ex', 'info symbol $pc', '-ex', 'kill'], { reject: false, all: true, timeout: 120_000 });
      gdb = { exitCode: r.exitCode ?? -1, all: String(r.all ?? '') };
      if (!/Connection refused|Connection timed out/.test(gdb.all)) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const qemu = await boot;
    expect(gdb.all, gdb.all).toMatch(/^start_kernel in section \.init\.text/m);
    expect(String(qemu.all), String(qemu.all)).toContain(`target remote 127.0.0.1:${port}`);
  }, 600_000);
});
