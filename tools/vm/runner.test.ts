import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { payloadChunks, planPayload } from '../initrd/index.js';
import { formatTimestampedLine } from './console.js';
import { planScenario } from './plan.js';
import { consoleLogTimeOf, expectedInitrdFiles } from './runner.js';
import { listScenarios, loadScenario, parseScenario, type Scenario } from './scenario.js';

describe('consoleLogTimeOf', () => {
  it('finds the host time of the first copy of a line in console.log', () => {
    const log = [
      formatTimestampedLine(650, 'SeaBIOS (version 1.16.2)'),
      formatTimestampedLine(11_204, '[    1.205000] Kernel panic - not syncing: initrd_erofs: superblock check failed: -22'),
      formatTimestampedLine(11_300, '[    1.205000] Kernel panic - not syncing: initrd_erofs: superblock check failed: -22'),
      '',
    ].join('\n');
    expect(consoleLogTimeOf(log, '[    1.205000] Kernel panic - not syncing: initrd_erofs: superblock check failed: -22')).toBe(11.204);
    expect(consoleLogTimeOf(log, 'not there')).toBeUndefined();
    expect(consoleLogTimeOf('', 'x')).toBeUndefined();
  });
});

describe('expectedInitrdFiles', () => {
  const plan = (scenario: Scenario) => planScenario(scenario, { runDir: '/nonexistent/run', accel: 'auto' });

  it("gives a guest file's size and SHA-256 as packing makes it: manifest files and generated payload alike", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'iofs-initrd-files-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    await writeFile(path.join(dir, 'manifest.json'), JSON.stringify({ inline: [{ dst: '/etc/motd', content: ['hello'] }] }));
    const first = planPayload(1 << 20)[0]!;
    const payloadFile = `/payload/${first.rel}`;
    const s = parseScenario({
      kernel: { base: '6.12' }, initrd: { manifest: 'manifest.json', format: 'cpio', payload: '1M' },
      checks: [{ name: 'a', run: 'x', expect: { stdout: '${initrdFileSha256:/etc/motd} ${initrdFileBytes:' + payloadFile + '} ${initrdFileSha256:' + payloadFile + '}' } }],
    }, path.join(dir, 's.json'));
    const payload = createHash('sha256');
    for (const c of payloadChunks(first.seed, first.flavor, first.size)) payload.update(c);
    expect(await expectedInitrdFiles(plan(s))).toEqual({
      '/etc/motd': { size: 6, sha256: createHash('sha256').update('hello\n').digest('hex') },
      [payloadFile]: { size: first.size, sha256: payload.digest('hex') },
    });
  });

  it('names the scenario and the path the initrd will not hold', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'iofs-initrd-files-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    await writeFile(path.join(dir, 'manifest.json'), JSON.stringify({ dirs: [{ path: '/data' }] }));
    const uses = (p: string): Scenario => parseScenario({ kernel: { base: '6.12' }, initrd: { manifest: 'manifest.json', format: 'cpio' }, checks: [{ name: 'a', run: 'x', expect: { stdout: `\${initrdFileBytes:${p}}` } }] }, path.join(dir, 'odd.json'));
    await expect(expectedInitrdFiles(plan(uses('/payload/x')))).rejects.toThrow(/^odd\.json: \$\{initrdFile…:\/payload\/x\}: the initrd packed from .*manifest\.json holds no such file \(\/payload\/x: not in the tree\)/);
    await expect(expectedInitrdFiles(plan(uses('/data')))).rejects.toThrow(/holds no such file \(\/data: is a dir, not a regular file\)/);
  });

  it('resolves every ${initrdFile…} of the shipped scenarios', async () => {
    let used = 0;
    for (const name of await listScenarios()) {
      const p = plan(await loadScenario(name));
      const files = await expectedInitrdFiles(p);
      expect(Object.keys(files), name).toEqual(p.initrdFiles);
      used += p.initrdFiles.length;
    }
    expect(used).toBeGreaterThan(0);
  });
});
