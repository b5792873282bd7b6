import { describe, expect, it } from 'vitest';
import { InputError } from '../common/errors.js';
import { archMakeEnv, buildKernel, firstErrors, planBuildDir } from './build.js';

describe('planBuildDir', () => {
  const base = { cache: '/c', base: '6.12', treePath: '/c/trees/6.12', configHash: 'ab'.repeat(32) };

  it('keys by base, variant and config hash, not by tree content', () => {
    expect(planBuildDir({ ...base, variant: 'patched' })).toBe('/c/builds/6.12-patched-abababababab');
    expect(planBuildDir({ ...base, variant: 'pristine' })).toBe('/c/pristine/builds/6.12-pristine-abababababab');
    expect(planBuildDir({ ...base, variant: 'patched', configHash: 'cd'.repeat(32) })).not.toBe(
      planBuildDir({ ...base, variant: 'patched' }),
    );
  });

  it('keys other architectures by name, x86_64 as before the arch axis', () => {
    expect(planBuildDir({ ...base, variant: 'patched', arch: 'x86_64' })).toBe('/c/builds/6.12-patched-abababababab');
    expect(planBuildDir({ ...base, variant: 'patched', arch: 'arm64' })).toBe('/c/builds/6.12-arm64-patched-abababababab');
    expect(planBuildDir({ ...base, variant: 'pristine', arch: 'arm64' })).toBe('/c/pristine/builds/6.12-arm64-pristine-abababababab');
  });

  it('gives each --tree path its own directory', () => {
    const a = planBuildDir({ ...base, variant: 'tree', treePath: '/src/linux' });
    const b = planBuildDir({ ...base, variant: 'tree', treePath: '/src/linux-next' });
    expect(a).toMatch(/^\/c\/builds\/6\.12-tree-[0-9a-f]{8}-abababababab$/);
    expect(a).not.toBe(b);
  });
});

describe('archMakeEnv', () => {
  const arm64 = { name: 'arm64', kernelArch: 'arm64', crossCompile: 'aarch64-linux-gnu-' };
  it('cross-compiles a foreign architecture and leaves the host one alone', () => {
    expect(archMakeEnv(arm64, 'x86_64')).toEqual({ ARCH: 'arm64', CROSS_COMPILE: 'aarch64-linux-gnu-' });
    expect(archMakeEnv(arm64, 'arm64')).toEqual({});
    expect(archMakeEnv({ name: 'x86_64', kernelArch: 'x86', crossCompile: 'x86_64-linux-gnu-' }, 'x86_64')).toEqual({});
  });
});

describe('firstErrors', () => {
  it('quotes the first compiler errors with context', () => {
    const log = [
      '  CC      init/main.o',
      '  CC      init/version.o',
      'init/main.c: In function ‘start_kernel’:',
      'init/main.c:900:9: error: ‘foo’ undeclared (first use in this function)',
      '  900 |         foo();',
      '      |         ^~~',
      'make[4]: *** [scripts/Makefile.build:229: init/main.o] Error 1',
      ...Array.from({ length: 20 }, (_, i) => `  CC      x${i}.o`),
    ].join('\n');
    const out = firstErrors(log, 2, 1);
    expect(out).toContain("init/main.c:900:9: error: ‘foo’ undeclared");
    expect(out).toContain('Error 1');
    expect(out).not.toContain('x10.o');
  });
});

describe('buildKernel requests', () => {
  it('refuses --base-ref without --tree, before touching any tree', async () => {
    const p = buildKernel({ base: '6.12', fragments: ['guest'], withPatches: true, baseRef: 'v6.12', cache: '/nonexistent/cache' });
    await expect(p).rejects.toBeInstanceOf(InputError);
    await expect(p).rejects.toThrow(/--base-ref needs --tree/);
  });
});
