import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode, InputError } from '../common/errors.js';
import { buildTree } from './build.js';
import { loadManifest, parseManifest } from './manifest.js';
import { makeFixture, tempDir } from './testutil.js';

const parse = (obj: unknown): ReturnType<typeof parseManifest> => parseManifest(JSON.stringify(obj), '/m/manifest.json', 'm.json');

describe('manifest parsing', () => {
  it('resolves src relative to the manifest and parses octal modes', () => {
    const m = parse({ files: [{ src: 'a/init', dst: '/init', mode: '0755' }], dirs: [{ path: '/tmp', mode: '1777' }] });
    expect(m.files[0]).toMatchObject({ src: '/m/a/init', dst: '/init', mode: 0o755 });
    expect(m.dirs[0]!.mode).toBe(0o1777);
    expect(m.payloadDir).toBe('/payload');
  });

  it('joins inline content given as lines', () => {
    expect(parse({ inline: [{ dst: '/etc/x', content: ['a', 'b'] }] }).inline[0]!.content).toBe('a\nb\n');
  });

  it.each([
    [{ files: [{ src: 'x', dst: '/etc/../../x' }] }, /^m\.json: files\[0\]\.dst: "\/etc\/\.\.\/\.\.\/x" must not contain "\.\."/],
    [{ files: [{ src: 'x', dst: 'etc/x' }] }, /files\[0\]\.dst: "etc\/x" must be an absolute guest path/],
    [{ symlinks: [{ path: '/a/../b', target: 'x' }] }, /symlinks\[0\]\.path: .*\.\./],
    [{ dirs: [{ path: '/' }] }, /dirs\[0\]\.path: "\/" is the root directory/],
    [{ files: [{ src: 'x', dst: '/x', mode: 755 }] }, /files\[0\]\.mode: expected an octal string like "0755", got 755/],
    [{ devices: [{ path: '/dev/x', type: 'p', major: 1, minor: 1 }] }, /devices\[0\]\.type: expected "c" \(character\) or "b" \(block\), got "p"/],
    [{ binaries: ['busybox'] }, /binaries\[0\]: "busybox": binaries are absolute host paths/],
    [{ fiels: [] }, /^m\.json: unknown key "fiels" \(valid: description, binaries, files/],
    [{ files: [{ src: 'x' }] }, /files\[0\]\.dst: missing/],
    [{ payload: '../up' }, /payload: must be a single directory name like "payload", got "\.\.\/up"/],
  ])('rejects %j', (obj, message) => {
    expect(() => parse(obj)).toThrow(message);
  });

  it('rejects non-JSON with the file name and exit code 2', () => {
    try {
      parseManifest('{ nope', '/m/manifest.json', 'm.json');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).exitCode).toBe(ExitCode.USAGE);
      expect((err as Error).message).toMatch(/^m\.json: not valid JSON/);
    }
  });
});

describe('building a tree', () => {
  it('names the manifest entry whose source is missing', async () => {
    const dir = await tempDir();
    const m = path.join(dir, 'manifest.json');
    await fs.writeFile(m, JSON.stringify({ files: [{ src: 'a', dst: '/a' }, { src: 'a', dst: '/b' }, { src: 'b', dst: '/c' }, { src: 'init', dst: '/init' }] }));
    await fs.writeFile(path.join(dir, 'a'), 'x');
    await fs.writeFile(path.join(dir, 'b'), 'x');
    await expect(buildTree(await loadManifest(m))).rejects.toThrow(`${m}: files[3] (src "init"): no such file`);
    await fs.rm(dir, { recursive: true });
  });

  it('rejects two different entries at one path, naming both', async () => {
    const m = parse({ inline: [{ dst: '/etc/a', content: 'x' }], symlinks: [{ path: '/etc/a', target: 'b' }] });
    await expect(buildTree(m)).rejects.toThrow(/symlinks\[0\].*\/etc\/a already added by .*inline\[0\]/);
  });

  it('rejects a file below a non-directory', async () => {
    const m = parse({ inline: [{ dst: '/etc', content: 'x' }, { dst: '/etc/passwd', content: 'y' }] });
    await expect(buildTree(m)).rejects.toThrow(/\/etc\/passwd needs \/etc to be a directory/);
  });

  it('adds authorized keys 0600 under 0700 dirs and rejects garbage keys', async () => {
    const dir = await tempDir();
    const m = await loadManifest(await makeFixture(dir));
    const tree = await buildTree(m, { authorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample test@host'] });
    expect(tree.get('/root/.ssh/authorized_keys')).toMatchObject({ type: 'file', mode: 0o600 });
    expect(tree.get('/root/.ssh')).toMatchObject({ type: 'dir', mode: 0o700 });
    await expect(buildTree(m, { authorizedKeys: ['hello world'] })).rejects.toThrow(/does not look like an OpenSSH public key/);
    await fs.rm(dir, { recursive: true });
  });

  it('the committed guest manifest builds', async () => {
    const m = await loadManifest(path.join(import.meta.dirname, '../../test-vms/guest/manifest.json'));
    const tree = await buildTree(m);
    expect(tree.get('/init')).toMatchObject({ type: 'file', mode: 0o755 });
    expect(tree.get('/bin/sh')).toEqual({ type: 'symlink', target: 'busybox' });
    expect(tree.get('/dev/console')).toMatchObject({ type: 'device', device: 'c', major: 5, minor: 1 });
    expect(tree.get('/lib64/ld-linux-x86-64.so.2')?.type).toBe('symlink');
    expect(tree.has('/root/.ssh/authorized_keys')).toBe(false);
  });
});
