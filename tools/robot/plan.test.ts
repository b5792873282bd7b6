import { describe, expect, it } from 'vitest';
import { firstErrorLine, warningCell } from './run.js';
import { newWarnings, parseWarnings, renderTable, touchedObjects, type Warning } from './plan.js';

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
