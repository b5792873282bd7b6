import { describe, expect, it } from 'vitest';
import { KCIDB_VERSION, kcidbProblems, kcidbValidator, loadKcidbSchema } from './schema.js';

type Json = Record<string, unknown>;
const at = (o: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((n, k) => (n as Json)[k], o);

describe('vendored KCIDB schema v5.3', () => {
  it('compiles with Ajv (draft-07 + formats), as kcidb-io compiles it with Draft7Validator', async () => {
    const validate = await kcidbValidator();
    expect(typeof validate).toBe('function');
    expect(await kcidbProblems({ version: { ...KCIDB_VERSION } })).toEqual([]);
  });

  it('has the patterns the kcidb-io inheritance chain resolves to (schema/NOTICE.md)', () => {
    // v03_00.py: sha1/sha256/origin patterns; v05_00.py: origin_id, git URL and test path.
    const sha1 = '[0-9a-f]{40}';
    const sha256 = '[0-9a-f]{64}';
    const origin = '[a-z0-9_]+';
    const originId = `${origin}:[^\\0]*`; // f"{origin_pattern}:[^\\0]*"
    const gitUrl = 'https://[^\\0]*'; // re.compile("https://[^\\0]*").pattern
    const testPath = '^([a-zA-Z0-9_-]+(\\.[a-zA-Z0-9_-]+)*)?$';
    const s = loadKcidbSchema();
    const checkout = at(s, '$defs', 'checkout', 'properties');
    expect(at(checkout, 'id', 'pattern')).toBe(`^${originId}$`);
    expect(at(checkout, 'origin', 'pattern')).toBe(`^${origin}$`);
    expect(at(checkout, 'git_repository_url', 'pattern')).toBe(`^${gitUrl}$`);
    expect(at(checkout, 'git_commit_hash', 'pattern')).toBe(`^${sha1}$`);
    expect(at(checkout, 'patchset_hash', 'pattern')).toBe(`^$|^${sha256}$`);
    expect(at(s, '$defs', 'path', 'pattern')).toBe(testPath);
    expect(at(s, '$defs', 'test', 'properties', 'build_id', 'pattern')).toBe(`^${originId}$`);
    expect(at(s, '$defs', 'status', 'enum')).toEqual(['FAIL', 'ERROR', 'MISS', 'PASS', 'DONE', 'SKIP']);
    expect(at(s, 'properties', 'version', 'properties', 'major', 'const')).toBe(5);
    expect(at(s, 'properties', 'version', 'properties', 'minor', 'maximum')).toBe(3);
  });

  it('rejects a broken document naming the JSON path of each problem', async () => {
    const problems = await kcidbProblems({
      version: { major: 5, minor: 3 },
      checkouts: [{ id: 'no-origin-prefix', origin: 'iofs', patchset_hash: 'abc' }],
      tests: [{ id: 'iofs:t', build_id: 'iofs:b', origin: 'iofs', path: 'iofs.has space', status: 'PANIC' }],
    });
    const paths = problems.map((p) => p.path);
    expect(paths).toContain('/checkouts/0/id');
    expect(paths).toContain('/checkouts/0/patchset_hash');
    expect(paths).toContain('/tests/0/path');
    expect(paths).toContain('/tests/0/status');
    expect(await kcidbProblems({ version: { major: 4 } })).toEqual([expect.objectContaining({ path: '/version/major' })]);
    expect((await kcidbProblems({ version: { major: 5 }, builds: [{ id: 'iofs:b', checkout_id: 'iofs:c', origin: 'iofs', log_url: 'not a uri' }] }))[0]?.path).toBe('/builds/0/log_url');
  });
});
