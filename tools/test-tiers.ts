/**
 * Which integration test files are in the core tier (`scripts/test`, what CI
 * runs: at most 30 minutes on a fresh 2-core machine, one kernel build) and
 * which wait for `scripts/test --full`. Everything not listed here is full.
 *
 * Core proves the product end to end on the primary base with ONE kernel
 * build (the patched primary kernel, guest + erofs + initrd-erofs + distro),
 * shared by the three VM files (robot/modules.int compiles two directories
 * in its own small build):
 *  - vm/kmode.int: kernel mode on every kmode-* scenario, cpio unchanged on
 *    the same kernel, the documented panics of corrupted images;
 *  - vm/handover.int: Debian's initramfs-tools, dracut/systemd and busybox
 *    initrds, as cpio and as EROFS, hand over to a real root and leave
 *    nothing behind;
 *  - vm/vm.int: the harness's outcome classes (PASS, FAIL naming the check,
 *    PANIC quoting the line, BOOT-TIMEOUT within the bound, bad input);
 *  - robot/modules.int: the series compiled as distributions build it
 *    (EROFS and overlayfs modules) at its tip, no new W=1/sparse warning.
 */
export const coreIntegration = ['vm/kmode.int.test.ts', 'vm/vm.int.test.ts', 'robot/modules.int.test.ts'];

/** One line per full-tier group: what it proves, for the "not run" summary. */
export const fullGroups: Record<string, string> = {
  'kernel/kernel.int.test.ts': 'pristine build of the primary base, prepare reproducibility, dropped-symbol check',
  'kernel/failures.int.test.ts': 'build failure injection: concurrent builds, Ctrl-C in make, compile error, full disk',
  'fuzz/fuzz.int.test.ts': 'KASAN/UBSAN debug kernel of the primary base booting a 12-case fuzz sample, and 8 cases with verification on (--verify)',
  'status/status.int.test.ts': 'the status matrix across every base (applies, builds, bisectable, checkpatch, scenarios)',
  'bisect/bisect.int.test.ts': 'bisect-run on a synthetic regression',
  'patches/check.int.test.ts': 'checkpatch.pl --strict of the prepared primary tree: a bad patch reported by its error names, a clean one passes',
  'patches/format.int.test.ts': 'patches format: mails that git am onto a fresh base and pass checkpatch',
  'bench/bench.int.test.ts': 'reduced benchmark (cpio-gzip and kernel mode, bare and +64M)',
  'vm/arm64.int.test.ts': 'arm64: the patched primary kernel cross-built, the guest from Debian arm64 packages, every kmode-* scenario (and uname -m aarch64) in qemu-system-aarch64 -machine virt (TCG)',
  'lava/lava.int.test.ts': 'LAVA: exported jobs run in lava-run (needs scripts/setup --lava) to the same verdicts as iofs vm test (pass, panic on purpose, cpio, a failing check)',
  'vm/digest.int.test.ts': 'a kernel requiring the image digest (own kernel build): no digest refused, its digest boots, a bootconfig cannot supply it, cpio unaffected',
  'robot/robot.int.test.ts': 'the build robot: every robot.json configuration at every patch, KUnit, new warnings; and the v2 series failing on patch 1\'s modular build',
  'vm/failures.int.test.ts': 'the harness\'s failure paths (QEMU missing, refusing, killed, Ctrl-C in a boot and in a build, SSH port taken, key refused); moved out of the core tier to make room for the robot\'s modules cell within 30 minutes',
  'vm/gdb.int.test.ts': 'vm boot --gdb: the core kernel halted under QEMU\'s gdbstub, a real gdb breaking on start_kernel by symbol and ending the guest',
  'vm/handover.int.test.ts': 'every handover-* scenario: Debian\'s initramfs-tools, dracut/systemd and busybox initrds, as cpio and as EROFS, handing over to a real root (the companion tools built from Debian sources); moved out of the core tier for its 30-minute budget (the cold core tier measured 33 min with it, 2026-12-08)',
  'vm/sanitize.int.test.ts': 'sanitizers on the scenarios: every kmode-* and handover-* scenario on its kernel rebuilt with KASAN, UBSAN, lockdep, KFENCE and debug objects, panicking on any report (own kernel builds)',
  'vm/initcalls.int.test.ts': 'the image during initcalls: a uevent helper in a cpio initrd runs, in an EROFS initrd it is not there yet (own kernel build)',
};

/** The full-tier files that exist but have no line in fullGroups (a unit test keeps this empty). */
export function undescribedFullFiles(intFiles: string[]): string[] {
  return intFiles.filter((f) => !coreIntegration.includes(f) && !(f in fullGroups));
}

interface VitestJson {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults: Array<{ name: string }>;
}

/**
 * The end of every `scripts/test` run: the counts as one plain line, and the
 * groups that did not run with the command that runs them, so nothing is
 * skipped silently. Pure.
 */
export function endOfRunSummary(report: VitestJson | undefined, ranFull: boolean, repoRoot: string): string[] {
  const lines: string[] = [];
  if (report) {
    const skipped = report.numPendingTests + report.numTodoTests;
    lines.push(`tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped`);
  } else {
    lines.push('tests: no report (vitest did not finish): see its output above');
  }
  if (ranFull) {
    lines.push('every tier ran (unit, core, full)');
    return lines;
  }
  const ran = new Set((report?.testResults ?? []).map((t) => t.name.replace(`${repoRoot}/tools/`, '')));
  lines.push('not run (full tier): run them with `scripts/test --full`');
  for (const [file, what] of Object.entries(fullGroups)) {
    if (!ran.has(file)) lines.push(`  tools/${file}: ${what}`);
  }
  return lines;
}
