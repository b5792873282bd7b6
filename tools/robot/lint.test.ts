import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../common/process.js';
import { coccinelleCell, docsCell, type LintMemo } from './lint.js';

// Real Sphinx and spatch (scripts/setup installs both) on a small tree of their own.
let tree: string;
beforeEach(async () => {
  tree = await fs.mkdtemp(path.join(os.tmpdir(), 'iofs-lint-'));
});
afterEach(async () => {
  await fs.rm(tree, { recursive: true, force: true });
});

const write = async (file: string, text: string): Promise<void> => {
  await fs.mkdir(path.dirname(path.join(tree, file)), { recursive: true });
  await fs.writeFile(path.join(tree, file), text);
};

describe('docsCell', () => {
  it('passes a clean document in a toctree, and fails the patch that breaks its markup or drops it from the toctree', async () => {
    const doc = 'Documentation/admin-guide/x.rst';
    await write('Documentation/admin-guide/index.rst', 'Admin\n=====\n\n.. toctree::\n\n   x\n');
    await write(doc, 'Title\n=====\n\nText with ``literal``.\n');
    const memo: LintMemo = {};
    expect((await docsCell(tree, [doc], 0, memo, path.join(tree, 'log', '0'))).status).toBe('pass');
    await write(doc, 'Title\n=====\n\n.. nosuchdirective::\n\nText with ``literal.\n');
    const broken = await docsCell(tree, [doc], 1, memo, path.join(tree, 'log', '1'));
    expect(broken.status).toBe('fail');
    expect(broken.details?.join('\n')).toMatch(/x\.rst:4: error: Unknown directive type "nosuchdirective"/);
    await write(doc, 'Title\n=====\n\nText.\n');
    await write('Documentation/admin-guide/index.rst', 'Admin\n=====\n');
    const orphan = await docsCell(tree, [doc], 2, { warnings: [] }, path.join(tree, 'log', '2'));
    expect(orphan.details?.join('\n')).toMatch(/not in a toctree of Documentation\/admin-guide\/index\.rst/);
  });

  it('compares a document a patch adds with no warnings, not as a new baseline', async () => {
    const memo: LintMemo = {};
    expect((await docsCell(tree, ['Documentation/new.rst'], 0, memo, path.join(tree, 'log', '0'))).status).toBe('n/a');
    await write('Documentation/new.rst', '.. nosuchdirective::\n');
    expect((await docsCell(tree, ['Documentation/new.rst'], 1, memo, path.join(tree, 'log', '1'))).status).toBe('fail');
  });
});

describe('coccinelleCell', () => {
  it("fails the patch whose source matches a semantic patch's report rule, and reuses the report for unchanged sources", async () => {
    const rule = ['virtual report', '', '@r depends on report@', 'expression E;', 'position p;', '@@', 'kfree@p(E);', '...', 'kfree(E);', '', '@script:python depends on report@', 'p << r.p;', '@@', 'coccilib.report.print_report(p[0], "WARNING: double kfree")', ''];
    await write('scripts/coccinelle/misc/double.cocci', rule.join('\n'));
    await write('init/a.c', 'void f(void *x)\n{\n\tkfree(x);\n}\n');
    // The headers every kernel source gets with --include (scripts/coccicheck's arguments).
    await write('include/linux/kconfig.h', '');
    await write('include/linux/compiler-version.h', '');
    await run('git', ['init', '-q'], { cwd: tree });
    await run('git', ['add', '.'], { cwd: tree });
    const memo: LintMemo = {};
    expect((await coccinelleCell(tree, tree, 'x86', ['init/a.c'], 0, memo, path.join(tree, 'log', '0'))).status).toBe('pass');
    await write('init/a.c', 'void f(void *x)\n{\n\tkfree(x);\n\tkfree(x);\n}\n');
    await run('git', ['add', '.'], { cwd: tree });
    const bad = await coccinelleCell(tree, tree, 'x86', ['init/a.c'], 1, memo, path.join(tree, 'log', '1'));
    expect(bad.status).toBe('fail');
    expect(bad.details).toEqual([expect.stringMatching(/^init\/a\.c:3: coccinelle: WARNING: double kfree/)]);
    const again = await coccinelleCell(tree, tree, 'x86', ['init/a.c'], 2, memo, path.join(tree, 'log', '2'));
    expect(again.status).toBe('pass');
    expect(await fs.readFile(path.join(tree, 'log', '2'), 'utf8')).toMatch(/^# 1 source\(s\), 1 unchanged since an earlier patch/);
  }, 60_000);

  it('fails the cell, naming the semantic patch, when spatch itself fails', async () => {
    await write('scripts/coccinelle/misc/bad.cocci', 'virtual report\n\n@@ this is not smpl\n');
    await write('init/a.c', 'int x;\n');
    await write('include/linux/kconfig.h', '');
    await write('include/linux/compiler-version.h', '');
    await run('git', ['init', '-q'], { cwd: tree });
    await run('git', ['add', '.'], { cwd: tree });
    const cell = await coccinelleCell(tree, tree, 'x86', ['init/a.c'], 0, {}, path.join(tree, 'log', '0'));
    expect(cell.status).toBe('fail');
    expect(cell.details?.[0]).toMatch(/^scripts\/coccinelle\/misc\/bad\.cocci on init\/a\.c: spatch exited [1-9]/);
  }, 60_000);
});
