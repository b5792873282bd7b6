import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../common/errors.js';
import { judgeCheck } from './checks.js';
import { planScenario } from './plan.js';
import { primaryBaseName } from '../kernel/bases.js';
import {
  expandScenarioArgs, isScenarioPattern, listScenarios, loadScenario, matchScenarioNames, parseScenario, parseSize, scenarioPath, scenariosDir,
} from './scenario.js';

const FILE = '/repo/test-vms/scenarios/cpio-gzip.json';

function valid(): Record<string, unknown> {
  return {
    description: 'gzip cpio guest',
    kernel: { base: '6.12', fragments: ['guest', 'erofs'], patches: false },
    initrd: { manifest: '../guest/manifest.json', format: 'cpio', compress: 'gzip', payload: '64M' },
    append: '',
    memoryMiB: 512,
    bootTimeoutS: 60,
    checks: [
      { name: 'kernel release', run: 'uname -r', expect: { exitCode: 0, stdout: '${kernelRelease}' } },
      { name: 'root fs', run: 'stat -f -c %T /', expect: { stdoutMatches: '^(rootfs|tmpfs)$' } },
    ],
  };
}

function errorOf(json: unknown): string {
  try {
    parseScenario(json, FILE);
  } catch (err) {
    expect((err as { exitCode?: number }).exitCode).toBe(ExitCode.USAGE);
    return (err as Error).message;
  }
  throw new Error('expected a validation error');
}

describe('parseScenario', () => {
  it('reads a complete scenario, resolving the manifest against the file', () => {
    const s = parseScenario(valid(), FILE);
    expect(s.name).toBe('cpio-gzip');
    expect(s.initrd).toEqual({ kind: 'pack', manifest: '/repo/test-vms/guest/manifest.json', format: 'cpio', compress: 'gzip', payloadBytes: 64 * 1024 * 1024 });
    expect(s.kernel).toEqual({ base: '6.12', fragments: ['guest', 'erofs'], patches: false });
    expect(s.checks[0]).toEqual({ name: 'kernel release', run: 'uname -r', expect: { exitCode: 0, stdout: '${kernelRelease}' }, timeoutS: 30 });
    expect(s.checks[1]?.expect).toEqual({ exitCode: 0, stdoutMatches: ['^(rootfs|tmpfs)$'] });
  });

  it('fills defaults', () => {
    const s = parseScenario({ kernel: { base: '6.12' }, initrd: { manifest: 'm.json', format: 'erofs' }, checks: [] }, FILE);
    expect(s).toMatchObject({ append: '', memoryMiB: 512, bootTimeoutS: 60, description: '' });
    expect(s.kernel.fragments).toEqual(['guest']);
    expect(s.initrd).toMatchObject({ kind: 'pack', compress: 'none', payloadBytes: 0 });
  });

  it('names the file and the entry that is wrong', () => {
    expect(errorOf({ ...valid(), memoryMiB: 'lots' })).toMatch(/^\/repo\/test-vms\/scenarios\/cpio-gzip\.json: memoryMiB: expected a whole number from 64 to 65536, got "lots"$/);
    expect(errorOf({ ...valid(), initrd: { manifest: 'm', format: 'squashfs' } })).toMatch(/cpio-gzip\.json: initrd\.format: expected one of cpio, erofs, got "squashfs"/);
    expect(errorOf({ ...valid(), kernel: { base: '6.12', fragmnts: [] } })).toMatch(/cpio-gzip\.json: kernel: unknown key "fragmnts"/);
    expect(errorOf({ ...valid(), initrd: { manifest: 'm', format: 'cpio', payload: '12 parsecs' } })).toMatch(/cpio-gzip\.json: initrd\.payload: expected a size \(bytes, or with a binary unit/);
    expect(errorOf({ ...valid(), checks: 'uname' })).toMatch(/cpio-gzip\.json: checks: expected a list of checks \(may be empty\), got "uname"/);
    expect(errorOf({ ...valid(), initrd: { manifest: 'm', image: 'i' } })).toMatch(/cpio-gzip\.json: initrd: give one of "manifest" .* not "image" and "manifest"/);
    expect(errorOf({ ...valid(), initrd: { image: 'i', format: 'cpio' } })).toMatch(/cpio-gzip\.json: initrd: unknown key "format" \(valid: image, edits, digest, verity, bootconfig;/);
  });

  it('names the check by index and name', () => {
    const json = valid();
    (json.checks as unknown[]).push({ name: 'typo', run: 'true', expect: { stdoutMatch: 'x' } });
    expect(errorOf(json)).toBe(
      '/repo/test-vms/scenarios/cpio-gzip.json: checks[2] (typo).expect: unknown key "stdoutMatch" ' +
        '(valid: exitCode, stdout, stdoutContains, stdoutMatches, stdoutNotMatches, stderrContains, stderrMatches; keys starting with $ are comments)',
    );
  });

  it('rejects unknown keys, unknown variables, bad regexes and duplicate names', () => {
    expect(errorOf({ ...valid(), memory: 512 })).toMatch(/cpio-gzip\.json: unknown key "memory"/);
    expect(errorOf({ ...valid(), checks: [{ name: 'a', run: 'x', expect: { stdout: '${kernelVersion}' } }] })).toMatch(/checks\[0\] \(a\)\.expect\.stdout: unknown variable \$\{kernelVersion\} \(variables: \$\{kernelRelease\}/);
    expect(errorOf({ ...valid(), checks: [{ name: 'a', run: 'x', expect: { stdoutMatches: '(' } }] })).toMatch(/checks\[0\] \(a\)\.expect\.stdoutMatches: invalid regular expression "\("/);
    expect(errorOf({ ...valid(), checks: [{ name: 'a', run: 'x', expect: {} }, { name: 'a', run: 'y', expect: {} }] })).toMatch(/cpio-gzip\.json: checks\[1\] \(a\): two checks are named "a"/);
    expect(errorOf({ ...valid(), checks: [{ name: 'a', run: ' ', expect: {} }] })).toMatch(/checks\[0\] \(a\)\.run: expected a non-empty string, got " "/);
  });

  it('accepts ${initrdFileSha256:PATH} and ${initrdFileBytes:PATH} of absolute guest paths, for a packed initrd only', () => {
    const uses = (initrd: unknown, p = '/etc/passwd'): Record<string, unknown> => ({ ...valid(), initrd, checks: [{ name: 'passwd', run: `sha256sum ${p}`, expect: { stdoutContains: `\${initrdFileSha256:${p}}`, stdoutMatches: `^\${initrdFileBytes:${p}}$` } }] });
    expect(parseScenario(uses({ manifest: 'm.json', format: 'cpio' }), FILE).checks[0]?.expect.stdoutContains).toEqual(['${initrdFileSha256:/etc/passwd}']);
    expect(errorOf(uses({ manifest: 'm.json', format: 'cpio' }, 'etc/passwd'))).toMatch(/checks\[0\] \(passwd\)\.expect\.stdoutContains: \$\{initrdFileSha256:etc\/passwd\}: "etc\/passwd" is not an absolute guest path/);
    expect(errorOf(uses({ manifest: 'm.json', format: 'cpio' }, '/payload/../etc/shadow'))).toMatch(/is not an absolute guest path/);
    expect(errorOf(uses({ image: 'x.img' }))).toMatch(/cpio-gzip\.json: passwd uses \$\{initrdFileSha256:\/etc\/passwd\}, which needs an initrd packed from a manifest/);
    expect(errorOf({ ...valid(), checks: [{ name: 'a', run: 'x', expect: { stdout: '${initrdFile:/init}' } }] })).toMatch(/unknown variable \$\{initrdFile:\/init\}/);
  });

  it('accepts ${hostSha256:PATH} and $comment keys', () => {
    const s = parseScenario({ ...valid(), $comment: 'why', checks: [{ name: 'busybox', run: 'sha256sum /bin/busybox', expect: { stdoutContains: '${hostSha256:/bin/busybox}' } }] }, FILE);
    expect(s.checks[0]?.expect.stdoutContains).toEqual(['${hostSha256:/bin/busybox}']);
  });
});

describe('kernel.base', () => {
  const noBase = (): Record<string, unknown> => ({ ...valid(), kernel: { fragments: ['guest'] } });

  it('defaults to the primary base given, and says so when none is', () => {
    expect(parseScenario(noBase(), FILE, '6.1').kernel).toEqual({ base: '6.1', fragments: ['guest'], patches: false });
    expect(parseScenario(valid(), FILE, '6.1').kernel.base).toBe('6.12');
    expect(errorOf(noBase())).toMatch(/cpio-gzip\.json: kernel\.base: missing, and no primary base was given/);
  });

  it('loadScenario follows the primary base of kernel-patches/bases.json', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'iofs-scenario-'));
    const file = path.join(dir, 'no-base.json');
    await fs.writeFile(file, JSON.stringify({ ...noBase(), initrd: { manifest: 'm.json', format: 'cpio' } }));
    expect((await loadScenario(file)).kernel.base).toBe(await primaryBaseName());
    await fs.rm(dir, { recursive: true });
  });
});

describe('initrd edits and the extra disk', () => {
  it('reads edits in the shared vocabulary, keeping the image spec', () => {
    const s = parseScenario({ ...valid(), initrd: { manifest: 'm.json', format: 'erofs', compress: 'lz4hc', edits: [{ op: 'truncate', length: 8192 }, { op: 'write', offset: '0x40c', hex: '0D' }] } }, FILE);
    expect(s.initrd).toEqual({
      kind: 'pack', manifest: '/repo/test-vms/scenarios/m.json', format: 'erofs', compress: 'lz4hc', payloadBytes: 0,
      edits: [{ op: 'truncate', length: 8192 }, { op: 'write', offset: 0x40c, hex: '0d' }],
    });
    const img = parseScenario({ ...valid(), initrd: { image: 'x.img', edits: [{ op: 'flip', offset: 1028, bit: 0 }] } }, FILE);
    expect(img.initrd).toEqual({ kind: 'image', image: '/repo/test-vms/scenarios/x.img', edits: [{ op: 'flip', offset: 1028, bit: 0 }] });
  });

  it('names a bad edit by its index', () => {
    expect(errorOf({ ...valid(), initrd: { manifest: 'm', format: 'erofs', edits: [{ op: 'truncate', length: 1 }, { op: 'shred' }] } })).toMatch(/cpio-gzip\.json: initrd\.edits\[1\]\.op: unknown edit "shred"/);
    expect(errorOf({ ...valid(), initrd: { manifest: 'm', format: 'erofs', edits: [] } })).toMatch(/cpio-gzip\.json: initrd\.edits: an empty list edits nothing/);
  });

  it('reads a disk packed from a manifest or given as an image', () => {
    const s = parseScenario({ ...valid(), disk: { manifest: '../guest/manifest.json', format: 'erofs', compress: 'lz4hc', payload: '1M' } }, FILE);
    expect(s.disk).toEqual({ kind: 'pack', manifest: '/repo/test-vms/guest/manifest.json', format: 'erofs', compress: 'lz4hc', payloadBytes: 1024 * 1024 });
    expect(parseScenario({ ...valid(), disk: { image: '/images/root.erofs' } }, FILE).disk).toEqual({ kind: 'image', image: '/images/root.erofs' });
    expect(parseScenario(valid(), FILE).disk).toBeUndefined();
  });

  it('rejects a disk that is neither, or has edits', () => {
    expect(errorOf({ ...valid(), disk: { manifest: 'm', format: 'tar' } })).toMatch(/cpio-gzip\.json: disk\.format: expected one of cpio, erofs, ext4, got "tar"/);
    expect(errorOf({ ...valid(), disk: { manifest: 'm', image: 'i' } })).toMatch(/cpio-gzip\.json: disk: give one of "manifest"/);
    expect(errorOf({ ...valid(), disk: { image: 'i', edits: [] } })).toMatch(/cpio-gzip\.json: disk: unknown key "edits"/);
    expect(errorOf({ ...valid(), disk: 'root.img' })).toMatch(/cpio-gzip\.json: disk: expected an object with "manifest", "image" or "generator", got "root\.img"/);
  });

  it('takes an ext4 disk packed from a manifest with another over it, and only as a disk', () => {
    const s = parseScenario({ ...valid(), disk: { manifest: '../guest/manifest.json', over: '../handover/realroot/manifest.json', format: 'ext4' } }, FILE);
    expect(s.disk).toMatchObject({ kind: 'pack', format: 'ext4', over: '/repo/test-vms/handover/realroot/manifest.json' });
    expect(errorOf({ ...valid(), initrd: { manifest: 'm', format: 'ext4' } })).toMatch(/cpio-gzip\.json: initrd\.format: expected one of cpio, erofs, got "ext4"/);
  });

  it('takes a generated initrd, with companions by default, and replaced files by companion', () => {
    const s = parseScenario({ ...valid(), initrd: { generator: 'initramfs-tools', format: 'erofs' } }, FILE);
    expect(s.initrd).toEqual({ kind: 'generate', generator: 'initramfs-tools', format: 'erofs', compress: 'lz4hc', companions: true });
    expect(errorOf({ ...valid(), initrd: { generator: 'mkinitcpio', format: 'cpio' } })).toMatch(/initrd\.generator: expected one of initramfs-tools, dracut, got "mkinitcpio"/);
    expect(errorOf({ ...valid(), disk: { generator: 'dracut', format: 'cpio' } })).toMatch(/disk: a disk is packed \("manifest"\) or given \("image"\); generators make initrds/);
    const c = parseScenario({ ...valid(), initrd: { manifest: 'm', format: 'cpio', companions: { '/bin/busybox': 'busybox' } } }, FILE);
    expect(c.initrd).toMatchObject({ kind: 'pack', companions: { '/bin/busybox': 'busybox' } });
    expect(errorOf({ ...valid(), initrd: { manifest: 'm', format: 'cpio', companions: { 'bin/busybox': 'busybox' } } })).toMatch(/initrd\.companions.*"bin\/busybox" is not an absolute guest path/);
  });
});

describe('expectBoot', () => {
  const panicking = (expectBoot: unknown, checks: unknown[] = []): Record<string, unknown> => ({ ...valid(), bootTimeoutS: 90, expectBoot, checks });

  it('reads an expected panic with its console line and bound', () => {
    const s = parseScenario(panicking({ outcome: 'PANIC', consoleMatches: 'initrd_erofs: .* failed: -\\d+', withinS: 60 }), FILE);
    expect(s.expectBoot).toEqual({ outcome: 'PANIC', consoleMatches: ['initrd_erofs: .* failed: -\\d+'], withinS: 60 });
  });

  it('defaults to PASS, for console lines of a normal boot', () => {
    const s = parseScenario({ ...valid(), expectBoot: { consoleContains: ['initrd_erofs: mounted ${initrdBytes}-byte image'] } }, FILE);
    expect(s.expectBoot).toEqual({ outcome: 'PASS', consoleContains: ['initrd_erofs: mounted ${initrdBytes}-byte image'] });
    expect(parseScenario(valid(), FILE).expectBoot).toBeUndefined();
  });

  it('refuses checks when no SSH session will exist', () => {
    expect(errorOf(panicking({ outcome: 'PANIC' }, [{ name: 'a', run: 'true', expect: {} }]))).toMatch(
      /cpio-gzip\.json: checks: a scenario that expects PANIC never gets an SSH session/,
    );
    expect(errorOf(panicking({ outcome: 'BOOT-TIMEOUT' }, [{ name: 'a', run: 'true', expect: {} }]))).toMatch(/expects BOOT-TIMEOUT never gets/);
  });

  it('names what is wrong in the expectation', () => {
    expect(errorOf(panicking({ outcome: 'FAIL' }))).toMatch(/cpio-gzip\.json: expectBoot\.outcome: expected one of PASS, PANIC, BOOT-TIMEOUT, got "FAIL"/);
    expect(errorOf(panicking({ outcome: 'PANIC', consoleMatches: '(' }))).toMatch(/cpio-gzip\.json: expectBoot\.consoleMatches: invalid regular expression/);
    expect(errorOf(panicking({ outcome: 'PANIC', consoleContains: '${imageSize}' }))).toMatch(/cpio-gzip\.json: expectBoot\.consoleContains: unknown variable \$\{imageSize\}/);
    expect(errorOf(panicking({ outcome: 'PANIC', withinS: 120 }))).toMatch(/cpio-gzip\.json: expectBoot\.withinS: at most bootTimeoutS \(90\), got 120/);
    expect(errorOf({ ...valid(), expectBoot: { withinS: 10 } })).toMatch(/cpio-gzip\.json: expectBoot\.withinS: only for "outcome": "PANIC"/);
    expect(errorOf(panicking({ outcome: 'PANIC', consoleMatch: 'x' }))).toMatch(/cpio-gzip\.json: expectBoot: unknown key "consoleMatch"/);
  });
});

describe('scenario patterns', () => {
  const names = ['cpio-gzip', 'cpio-lz4', 'kmode-erofs-lz4hc', 'kmode-erofs-none', 'kmode-cpio-gzip'];
  it('are names with * or ?, never paths', () => {
    expect(isScenarioPattern('kmode-*')).toBe(true);
    expect(isScenarioPattern('cpio-lz?')).toBe(true);
    expect(isScenarioPattern('cpio-gzip')).toBe(false);
    expect(isScenarioPattern('kmode-erofs-[ln]*')).toBe(true);
    expect(isScenarioPattern('./odd*.json')).toBe(false);
  });
  it('select names like a shell glob, sorted', () => {
    expect(matchScenarioNames('kmode-*', names)).toEqual(['kmode-cpio-gzip', 'kmode-erofs-lz4hc', 'kmode-erofs-none']);
    expect(matchScenarioNames('cpio-lz?', names)).toEqual(['cpio-lz4']);
    expect(matchScenarioNames('*.gzip', names)).toEqual([]);
    expect(matchScenarioNames('kmode-erofs-[ln]*', names)).toEqual(['kmode-erofs-lz4hc', 'kmode-erofs-none']);
    expect(matchScenarioNames('kmode-[!e]*', names)).toEqual(['kmode-cpio-gzip']);
    expect(matchScenarioNames('cpio-lz[', names)).toEqual([]);
  });
  it('expand against test-vms/scenarios, keeping plain arguments, and fail on no match', async () => {
    await expect(expandScenarioArgs(['cpio-gz*', './x.json'])).resolves.toEqual(['cpio-gzip', './x.json']);
    await expect(expandScenarioArgs(['nothing-like-this-*'])).rejects.toMatchObject({ exitCode: ExitCode.USAGE, hint: expect.stringContaining('cpio-gzip') });
  });
});

describe('parseSize', () => {
  it('takes bytes and binary units', () => {
    expect(parseSize(0, 'x')).toBe(0);
    expect(parseSize('0', 'x')).toBe(0);
    expect(parseSize('512K', 'x')).toBe(512 * 1024);
    expect(parseSize('64MiB', 'x')).toBe(64 * 1024 ** 2);
    expect(parseSize('1g', 'x')).toBe(1024 ** 3);
    expect(() => parseSize(-1, 'where')).toThrow(/^where: expected a size \(bytes, or with a binary unit: "0", "512K", "64M", "64MiB", "1G"\), got -1$/);
  });
});

describe('scenario files', () => {
  it('maps names to test-vms/scenarios and paths to themselves', () => {
    expect(scenarioPath('cpio-gzip')).toBe(path.join(scenariosDir, 'cpio-gzip.json'));
    expect(scenarioPath('./x.json')).toBe(path.resolve('x.json'));
  });

  it('every shipped scenario is valid', async () => {
    const names = await listScenarios();
    expect(names.length).toBeGreaterThan(0);
    for (const n of names) await expect(loadScenario(n)).resolves.toMatchObject({ name: n });
  });

  it("the demo's mount-table checks hold on their own boot's /proc/mounts and fail on the other's", async () => {
    // As the guests print them (README.md's demo output; the cpio one from a kmode-cpio-gzip boot).
    const erofsTable = [
      'overlay / overlay rw,relatime,lowerdir=/initrd-erofs/lower,upperdir=/initrd-erofs/rw/upper,workdir=/initrd-erofs/rw/work,uuid=on 0 0',
      'devtmpfs /dev devtmpfs rw,relatime,size=249384k,nr_inodes=62346,mode=755 0 0',
      'proc /proc proc rw,relatime 0 0',
      'sysfs /sys sysfs rw,relatime 0 0',
      'tmpfs /tmp tmpfs rw,relatime 0 0',
    ].join('\n');
    const cpioTable = ['rootfs / rootfs rw,size=241364k,nr_inodes=60341 0 0', 'proc /proc proc rw,relatime 0 0', 'sysfs /sys sysfs rw,relatime 0 0', 'devtmpfs /dev devtmpfs rw,relatime,size=241372k,nr_inodes=60343,mode=755 0 0'].join('\n');
    const vars = { scalars: {}, hostSha256: {}, initrdFiles: {} };
    const mountTable = async (name: string) => {
      const s = await loadScenario(name);
      const c = s.checks.find((x) => x.name === 'mount table');
      if (!c) throw new Error(`${name} has no "mount table" check`);
      return (table: string) => judgeCheck(c, { stdout: `${table}\n`, stderr: '', exitCode: 0 }, vars, s.file);
    };
    const erofs = await mountTable('kmode-erofs-lz4hc');
    const cpio = await mountTable('kmode-cpio-gzip');
    expect(erofs(erofsTable)).toEqual({ ok: true });
    expect(cpio(cpioTable)).toEqual({ ok: true });
    expect(erofs(cpioTable).ok).toBe(false);
    expect(cpio(erofsTable).ok).toBe(false);
    // The EROFS lower or the initramfs leaking into the new root's view is a failure too.
    expect(erofs(`${erofsTable}\n/dev/initrd-erofs /tmp/lower erofs ro,relatime 0 0`).reason).toMatch(/must not/);
    expect(erofs(`${erofsTable.replace('lowerdir=/initrd-erofs/lower', 'lowerdir=/lower')}`).reason).toMatch(/does not match/);
  });

  it('a missing scenario lists the known ones', async () => {
    await expect(loadScenario('no-such-scenario')).rejects.toMatchObject({
      exitCode: ExitCode.USAGE,
      message: 'test-vms/scenarios/no-such-scenario.json: cannot read: ENOENT',
      hint: expect.stringContaining('cpio-gzip'),
    });
  });
});

describe('initrd.digest', () => {
  it('takes "auto" or a SHA-256, and names the key otherwise', () => {
    const file = '/repo/test-vms/scenarios/x.json';
    const s = (digest: unknown): unknown => ({ kernel: { base: '7.3' }, initrd: { manifest: 'm.json', format: 'erofs', digest }, checks: [] });
    expect(parseScenario(s('auto'), file).initrd.digest).toBe('auto');
    expect(parseScenario(s('ab'.repeat(32)), file).initrd.digest).toBe('ab'.repeat(32));
    expect(() => parseScenario(s('AB'.repeat(32)), file)).toThrow(/x\.json: initrd\.digest: expected "auto" or 64 lowercase hex digits/);
    expect(() => parseScenario(s(true), file)).toThrow(/initrd\.digest/);
  });

  it('takes initrd.verity as "auto" or a root hash, and plans the tree beside the run', () => {
    const file = '/repo/test-vms/scenarios/x.json';
    const s = (verity: unknown): unknown => ({ kernel: { base: '7.3' }, initrd: { manifest: 'm.json', format: 'erofs', verity }, checks: [] });
    expect(parseScenario(s('auto'), file).initrd.verity).toBe('auto');
    expect(parseScenario(s('cd'.repeat(32)), file).initrd.verity).toBe('cd'.repeat(32));
    expect(() => parseScenario(s('cd'.repeat(31)), file)).toThrow(/x\.json: initrd\.verity: expected "auto" or 64 lowercase hex digits/);
  });

  it('takes initrd.bootconfig as bootconfig lines, and plans the appended initrd beside the run', () => {
    const file = '/repo/test-vms/scenarios/x.json';
    const s = (bootconfig: unknown): unknown => ({ kernel: { base: '7.3' }, initrd: { manifest: 'm.json', format: 'erofs', bootconfig }, checks: [] });
    const lines = ['kernel.initrd_erofs_sha256 = "${imageSha256}"'];
    const parsed = parseScenario(s(lines), file);
    expect(parsed.initrd.bootconfig).toEqual(lines);
    expect(planScenario(parsed, { runDir: '/run', accel: 'tcg' }).initrd.bootconfig).toEqual({ lines, output: '/run/initrd-bootconfig.img' });
    expect(() => parseScenario(s([]), file)).toThrow(/x\.json: initrd\.bootconfig: expected a non-empty list of bootconfig lines, got \[\]/);
  });
});
