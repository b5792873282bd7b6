import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadJsonFile } from '../common/schema.js';
import { loadRawResults, publishedResultsDir, summarySchema } from './results.js';

describe('reading results back', () => {
  it('reads the published raw.json and summary.json', async () => {
    const raw = await loadRawResults(publishedResultsDir);
    expect(raw.boots.length).toBeGreaterThan(0);
    const summary = await loadJsonFile(summarySchema, path.join(publishedResultsDir, 'summary.json'));
    expect(summary.cells.length).toBeGreaterThan(0);
  });

  it('names the file and key of what is wrong, and a directory without raw.json', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'iofs-results-'));
    await expect(loadRawResults(dir)).rejects.toThrow(`${dir}/raw.json: cannot read: ENOENT`);
    const raw = JSON.parse(await fs.readFile(path.join(publishedResultsDir, 'raw.json'), 'utf8')) as { boots: Array<Record<string, unknown>> };
    raw.boots[1] = { ...raw.boots[1], metrics: { runInitS: '2.4' }, outcom: 'PASS' };
    await fs.writeFile(path.join(dir, 'raw.json'), JSON.stringify(raw));
    await expect(loadRawResults(dir)).rejects.toThrow(/raw\.json: boots\[1\]\.metrics\.runInitS: expected a number, got "2\.4"\n.*raw\.json: boots\[1\]: unknown key "outcom"/);
    await fs.rm(dir, { recursive: true });
  });
});
