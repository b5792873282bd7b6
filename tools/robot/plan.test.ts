import { describe, expect, it } from 'vitest';
import { firstErrorLine } from './run.js';
import { newWarnings, parseCocciReport, parseSphinxWarnings, parseWarnings, renderTable, touchedObjects, untocedDocs, warningCell, type Warning } from './plan.js';

const tree = '/c/robot/trees/7.3';
const files = new Set(['init/initrd_erofs.c', 'include/linux/erofs.h', 'fs/erofs/super.c']);

describe('parseWarnings', () => {
  it('keeps gcc, sparse and kernel-doc lines about the series files, paths relative to the tree, a header\'s once', () => {
    const out = [
      `${tree}/init/initrd_erofs.c:12:5: warning: no previous prototype for 'x' [-Wmissing-prototypes]`,
      `../../init/initrd_erofs.c:40:9: warning: symbol 'y' was not declared. Should it be static?`,
      'init/initrd_erofs.c:77: warning: Function parameter or struct member \'len\' not described in \'f\'',
      `${tree}/init/main.c:3:1: warning: not a file of the series`,
      `${tree}/include/linux/erofs.h:16:20: error: redefinition of 'erofs_is_image'`,
      `${tree}/include/linux/erofs.h:16:20: error: redefinition of 'erofs_is_image'`,
      '  CC      init/main.o',
    ].join('\n');
    expect(parseWarnings(out, files, tree)).toEqual([
      { file: 'init/initrd_erofs.c', line: 12, text: "warning: no previous prototype for 'x' [-Wmissing-prototypes]" },
      { file: 'init/initrd_erofs.c', line: 40, text: "warning: symbol 'y' was not declared. Should it be static?" },
      { file: 'init/initrd_erofs.c', line: 77, text: "warning: Function parameter or struct member 'len' not described in 'f'" },
      { file: 'include/linux/erofs.h', line: 16, text: "error: redefinition of 'erofs_is_image'" },
    ]);
  });
});

describe('newWarnings', () => {
  const w = (line: number, text: string): Warning => ({ file: 'init/initrd_erofs.c', line, text });
  it('ignores a warning that only moved, and counts a second copy as new', () => {
    expect(newWarnings([w(10, 'warning: a')], [w(30, 'warning: a')])).toEqual([]);
    expect(newWarnings([w(10, 'warning: a')], [w(10, 'warning: a'), w(50, 'warning: a')])).toEqual([w(50, 'warning: a')]);
    expect(newWarnings([w(10, 'warning: a')], [])).toEqual([]);
  });

  it('makes a failing cell quoting the new warning, and a passing one at the base', () => {
    expect(warningCell(0, 'warnings:core', undefined, [w(1, 'warning: old')]).status).toBe('pass');
    const cell = warningCell(3, 'warnings:core', [w(1, 'warning: old')], [w(2, 'warning: old'), w(9, 'warning: new one')]);
    expect(cell).toMatchObject({ status: 'fail', summary: '1 new warning(s)', details: ['init/initrd_erofs.c:9: warning: new one'] });
  });
});

describe('touchedObjects', () => {
  it('compiles the directories of the touched sources and watches headers too', () => {
    const t = touchedObjects(['fs/erofs/super.c', 'include/linux/erofs.h', 'init/initrd_erofs.c', 'init/Kconfig', 'init/main.c', 'Documentation/x.rst']);
    expect(t.sources).toEqual(['fs/erofs/super.c', 'init/initrd_erofs.c', 'init/main.c']);
    expect(t.dirs).toEqual(['fs/erofs/', 'init/']);
    expect([...t.files].sort()).toEqual(['fs/erofs/super.c', 'include/linux/erofs.h', 'init/initrd_erofs.c', 'init/main.c']);
  });
});

describe('firstErrorLine', () => {
  it('is the first compiler error without the tree path, else the first make *** line', () => {
    expect(firstErrorLine(`  CC x\n${tree}/fs/erofs/super.c:79:6: error: redefinition of 'a'\nmore error: b`, tree)).toBe("fs/erofs/super.c:79:6: error: redefinition of 'a'");
    expect(firstErrorLine('make[1]: *** No rule to make target', tree)).toBe('make[1]: *** No rule to make target');
  });
});

describe('renderTable', () => {
  it('shows a row per patch, a column per check, and quotes each failure with its log', () => {
    const text = renderTable(['(base)', '0001-a.patch'], ['checkpatch', 'build:modules'], [
      { patch: 0, check: 'build:modules', status: 'pass', summary: 'ok' },
      { patch: 1, check: 'checkpatch', status: 'pass', summary: 'clean' },
      { patch: 1, check: 'build:modules', status: 'fail', summary: 'make failed', details: ['super.c:79: error: x'], log: '/r/modules/1.log' },
    ]);
    expect(text.split('\n').slice(0, 3)).toEqual([
      'patch  checkpatch build:modules',
      'base   -          ok             (base)',
      '0001   ok         FAIL           0001-a.patch',
    ]);
    expect(text).toContain('patch 1 build:modules: make failed\n    super.c:79: error: x\n    log: /r/modules/1.log');
  });
});

describe('coccinelle and docs warnings', () => {
  it("takes spatch's report lines about the series' files, as paths of the tree", () => {
    const out = [
      '### scripts/coccinelle/misc/x.cocci (exit 0)',
      `${tree}/init/initrd_erofs.c:120:8-14: WARNING: opportunity for min()`,
      'fs/erofs/super.c:79:1-5: ERROR: missing put_device',
      'kernel/other.c:3:1-2: WARNING: not ours',
    ].join('\n');
    expect(parseCocciReport(out, new Set(['init/initrd_erofs.c', 'fs/erofs/super.c']), tree)).toEqual([
      { file: 'init/initrd_erofs.c', line: 120, text: 'coccinelle: WARNING: opportunity for min()' },
      { file: 'fs/erofs/super.c', line: 79, text: 'coccinelle: ERROR: missing put_device' },
    ]);
  });

  it("names Sphinx's warnings by the tree's file and leaves out references a lone document cannot resolve", () => {
    const out = [
      '/tmp/s/src/index.rst:4: ERROR: Unknown directive type "foo".',
      '/tmp/s/src/index.rst:9: WARNING: toctree contains reference to nonexisting document \'initrd\'',
      '/tmp/s/src/index.rst:6: WARNING: Inline interpreted text or phrase reference start-string without end-string.',
      '/tmp/s/src/conf.py:1: WARNING: not the document',
    ].join('\n');
    expect(parseSphinxWarnings(out, '/tmp/s/src/index.rst', 'Documentation/admin-guide/x.rst')).toEqual([
      { file: 'Documentation/admin-guide/x.rst', line: 4, text: 'error: Unknown directive type "foo".' },
      { file: 'Documentation/admin-guide/x.rst', line: 6, text: 'warning: Inline interpreted text or phrase reference start-string without end-string.' },
    ]);
  });

  it('finds a document that its directory index does not list in a toctree', () => {
    const index = '.. toctree::\n   :maxdepth: 1\n\n   initrd\n   initrd-erofs\n';
    const docs = ['Documentation/admin-guide/initrd-erofs.rst', 'Documentation/admin-guide/index.rst'];
    expect(untocedDocs(docs, new Map([['Documentation/admin-guide/index.rst', index]]))).toEqual([]);
    const missing = untocedDocs(docs, new Map([['Documentation/admin-guide/index.rst', index.replace('   initrd-erofs\n', '')]]));
    expect(missing.map((w) => w.file)).toEqual(['Documentation/admin-guide/initrd-erofs.rst']);
    // Prose that happens to name it is not a toctree entry.
    expect(untocedDocs(docs, new Map([['Documentation/admin-guide/index.rst', 'initrd-erofs\n']]))).toHaveLength(1);
  });

  it("counts a document's touched .rst files apart from its C sources", () => {
    expect(touchedObjects(['init/a.c', 'Documentation/admin-guide/x.rst', 'Documentation/admin-guide/index.rst', 'MAINTAINERS']).docs).toEqual([
      'Documentation/admin-guide/index.rst',
      'Documentation/admin-guide/x.rst',
    ]);
  });
});
