import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSeries, patchFiles, patchSubject, readSeries, seriesHash } from './series.js';

describe('parseSeries', () => {
  it('keeps order and skips comments and blank lines', () => {
    expect(parseSeries('# head\n0001-a.patch\n\n0002-b.patch  # trailing\n')).toEqual(['0001-a.patch', '0002-b.patch']);
  });

  it('rejects paths, duplicates and the cover letter, naming the line', () => {
    expect(() => parseSeries('../x.patch\n', 's')).toThrow(/s:1: "\.\.\/x\.patch" must be a file name/);
    expect(() => parseSeries('a.patch\na.patch\n', 's')).toThrow(/s:2: a\.patch is already listed on line 1/);
    expect(() => parseSeries('0000-cover-letter.patch\n', 's')).toThrow(/cover letter/);
    expect(() => parseSeries('a.patch b.patch\n', 's')).toThrow(/one patch file name per line/);
  });

  it('reads an absent series as empty and names listed files that are missing', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'iofs-series-'));
    expect((await readSeries(dir)).files).toEqual([]);
    await writeFile(path.join(dir, 'series'), '0001-a.patch\n0002-b.patch\n');
    await writeFile(path.join(dir, '0001-a.patch'), 'x');
    await expect(readSeries(dir)).rejects.toThrow(/do not exist: 0002-b\.patch/);
  });
});

describe('seriesHash (KCIDB patchset_hash)', () => {
  it('is sha256 of each patch sha256 hex followed by a newline, in order', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'iofs-hash-'));
    const a = path.join(dir, 'a'), b = path.join(dir, 'b');
    await writeFile(a, 'patch A\n');
    await writeFile(b, 'patch B\n');
    const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
    expect(await seriesHash([a, b])).toBe(sha(`${sha('patch A\n')}\n${sha('patch B\n')}\n`));
    expect(await seriesHash([b, a])).not.toBe(await seriesHash([a, b]));
    expect(await seriesHash([])).toBe('');
  });
});

describe('patch headers', () => {
  const text = [
    'From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001',
    'Subject: [PATCH 2/3] init: mount an EROFS initrd',
    ' under a tmpfs overlay',
    '',
    'diff --git a/init/main.c b/init/main.c',
    'diff --git a/fs/erofs/super.c b/fs/erofs/super.c',
  ].join('\n');
  it('reads the subject without the [PATCH] prefix and the files touched', () => {
    expect(patchSubject(text)).toBe('init: mount an EROFS initrd under a tmpfs overlay');
    expect(patchFiles(text)).toEqual(['init/main.c', 'fs/erofs/super.c']);
  });
});
