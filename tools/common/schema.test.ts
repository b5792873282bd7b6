import path from 'node:path';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { ExitCode, InputError } from './errors.js';
import { repoRoot } from './paths.js';
import {
  dataError, dataObject, dataRecord, duplicateNames, int, list, loadJsonFile, nonEmptyList, nonEmptyString, oneOf, parseData, problems, str, stringOrList,
} from './schema.js';

const check = dataObject({ name: nonEmptyString(), run: str(), expect: dataObject({ stdout: v.optional(str()), stdoutMatches: v.optional(stringOrList()) }) });
const doc = v.pipe(
  dataObject({
    kernel: dataObject({ base: v.optional(nonEmptyString()), fragments: v.optional(list(str()), ['guest']) }),
    memoryMiB: v.optional(int(64, 65536), 512),
    format: v.optional(oneOf(['cpio', 'erofs'])),
    checks: list(check),
    bases: v.optional(dataRecord(v.pipe(v.string(), v.regex(/^[0-9a-z.]+$/, 'not a base name')), str())),
  }),
  problems((d) => duplicateNames(d.checks, (c) => c.name, 'checks', ['checks'])),
);
const FILE = path.join(repoRoot, 'test-vms', 'scenarios', 'x.json');

function errorOf(data: unknown, file = FILE): InputError {
  try {
    parseData(doc, data, file);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).exitCode).toBe(ExitCode.USAGE);
    return err as InputError;
  }
  throw new Error('expected an InputError');
}

describe('parseData', () => {
  it('fills defaults and drops "$…" comments at any depth', () => {
    expect(parseData(doc, { $comment: 'why', kernel: { $c: 1 }, checks: [] }, FILE)).toEqual({ kernel: { fragments: ['guest'] }, memoryMiB: 512, checks: [] });
  });

  it('names the file (repository-relative) and the key path, labelling entries by name', () => {
    const bad = { kernel: { base: 1 }, checks: [{ name: 'a', run: 'x', expect: {} }, { name: 'typo', run: 2, expect: { stdout: 3 } }] };
    expect(errorOf(bad).message.split('\n')).toEqual([
      'test-vms/scenarios/x.json: kernel.base: expected a non-empty string, got 1',
      'test-vms/scenarios/x.json: checks[1] (typo).run: expected a string, got 2',
      'test-vms/scenarios/x.json: checks[1] (typo).expect.stdout: expected a string, got 3',
    ]);
  });

  it('rejects unknown keys by name, on the object that holds them', () => {
    expect(errorOf({ kernel: {}, checks: [{ name: 'c', run: 'x', expect: { stdoutMatch: 'x' } }] }).message).toBe(
      'test-vms/scenarios/x.json: checks[0] (c).expect: unknown key "stdoutMatch" (valid: stdout, stdoutMatches; keys starting with $ are comments)',
    );
    expect(errorOf({ kernel: {}, checks: [], memory: 1 }).message).toMatch(/^test-vms\/scenarios\/x\.json: unknown key "memory" \(valid: kernel, memoryMiB/);
  });

  it('words missing keys, ranges, choices, lists and record keys', () => {
    expect(errorOf({ kernel: {} }, 'x.json').message).toBe('x.json: checks: missing');
    expect(errorOf({ kernel: [], checks: 'x' }).message).toMatch(/kernel: expected an object, got \[\]\n.*checks: expected a list, got "x"/);
    expect(errorOf({ kernel: {}, checks: [], memoryMiB: 'lots' }).message).toMatch(/memoryMiB: expected a whole number from 64 to 65536, got "lots"/);
    expect(errorOf({ kernel: {}, checks: [], format: 'squashfs' }).message).toMatch(/format: expected one of cpio, erofs, got "squashfs"/);
    expect(errorOf({ kernel: {}, checks: [], bases: { 'A B': 'x', '6.12': 3 } }).message).toMatch(/bases\["A B"\]: not a base name\n.*bases\["6\.12"\]: expected a string, got 3/);
    expect(errorOf({ kernel: {}, checks: [], bases: ['x'] }).message).toMatch(/bases: expected an object, got \["x"\]/);
    expect(errorOf({ kernel: {}, checks: [{ name: 'c', run: 'x', expect: { stdoutMatches: [] } }] }).message).toMatch(/stdoutMatches: expected a string or a non-empty list of strings, got \[\]/);
    expect(errorOf([]).message).toBe('test-vms/scenarios/x.json: expected an object, got []');
  });

  it('reports checks beyond the schema at the entry they concern', () => {
    const c = { name: 'a', run: 'x', expect: {} };
    expect(errorOf({ kernel: {}, checks: [c, { ...c, name: 'b' }, c] }).message).toBe('test-vms/scenarios/x.json: checks[2] (a): two checks are named "a"');
  });

  it('reads a string or a list as a list, and wants lists non-empty where asked', () => {
    expect(parseData(stringOrList(), 'a', 'f')).toEqual(['a']);
    expect(() => parseData(nonEmptyList(str(), 'a list of names'), [], 'f')).toThrow('f: expected a list of names, got []');
  });

  it('dataError names file and key like a schema issue', () => {
    expect(dataError(FILE, ['bases', '6.12', 'patches'], 'no such directory').message).toBe('test-vms/scenarios/x.json: bases["6.12"].patches: no such directory');
  });
});

describe('loadJsonFile', () => {
  it('names the file that cannot be read or is not JSON', async () => {
    await expect(loadJsonFile(doc, '/nonexistent/x.json')).rejects.toThrow('/nonexistent/x.json: cannot read: ENOENT');
    await expect(loadJsonFile(doc, path.join(repoRoot, 'README.md'))).rejects.toThrow(/^README\.md: not valid JSON/);
  });
});
