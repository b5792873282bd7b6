/**
 * `iofs patches robot` as KCIDB objects. Pure. Decisions:
 * - one checkout per tree the robot checked: the base (patchset_hash "")
 *   and every prefix of the series (patchset_hash of patches 1..n, as KCIDB
 *   defines it), so a dashboard shows which patch broke what;
 * - one build per configuration and tree (config_name is the robot's
 *   configuration, architecture its arch), status from the build cell;
 * - the configuration's warnings cell as test iofs.robot.warnings on its
 *   build; the tree-wide checks (checkpatch, kernel-doc, docs, coccinelle,
 *   kunit) as iofs.robot.<check> on the tree's first build, since KCIDB has
 *   no checkout-level tests (as `patches status` does).
 * Cell statuses: pass PASS, fail FAIL, n/a SKIP.
 */
import type { Cell, RobotRecord } from '../robot/index.js';
import { fileUrl, kcidbDocument, pathSegment, resource } from './map.js';
import type { KcidbBuild, KcidbCheckout, KcidbContext, KcidbDocument, KcidbStatus, KcidbTest } from './model.js';

const STATUS: Record<Cell['status'], KcidbStatus> = { pass: 'PASS', fail: 'FAIL', 'n/a': 'SKIP' };

/** The robot's facts the record does not hold: the patch files and the patchset hash of each prefix (index 0: the base, ""). */
export interface RobotSeriesFacts {
  patchFiles: string[];
  prefixHashes: string[];
}

/** The summary and the quoted lines that say what failed (errors and warnings before make's chatter). */
function cellComment(c: Cell): string {
  const details = c.details ?? [];
  const telling = details.filter((l) => /\b(error|warning):/.test(l));
  return [c.summary, ...(telling.length ? telling : details).slice(0, 4)].join('\n').slice(0, 1000);
}

export function kcidbFromRobot(record: RobotRecord, facts: RobotSeriesFacts, ctx: KcidbContext): KcidbDocument {
  const checkouts: KcidbCheckout[] = [];
  const builds: KcidbBuild[] = [];
  const tests: KcidbTest[] = [];
  const run = record.startedAt;
  const cellAt = (patch: number, check: string): Cell | undefined => record.cells.find((c) => c.patch === patch && c.check === check);
  record.patches.forEach((name, patch) => {
    const checkout: KcidbCheckout = {
      id: `${ctx.origin}:robot:${record.base}:${facts.prefixHashes[patch] || 'base'}:${run}`,
      origin: ctx.origin,
      tree_name: `debian-linux-source-${record.base}`,
      patchset_hash: facts.prefixHashes[patch] ?? '',
      ...(patch > 0 ? { patchset_files: facts.patchFiles.slice(0, patch).map((f) => resource(f, ctx)) } : {}),
      comment: patch === 0 ? `Linux ${record.baseVersion} (${record.base}), the robot's base` : `Linux ${record.baseVersion} with patches 1-${patch} of ${record.revision}: ${name}`,
      valid: true,
      misc: { base: record.base, revision: record.revision, patch },
    };
    checkouts.push(checkout);
    let first: string | undefined;
    for (const config of record.configs) {
      const build = cellAt(patch, `build:${config.name}`);
      if (!build) continue;
      const id = `${ctx.origin}:robot-build:${record.base}:${patch}:${config.name}:${run}`;
      first ??= id;
      builds.push({
        id,
        checkout_id: checkout.id,
        origin: ctx.origin,
        comment: cellComment(build),
        architecture: config.arch ?? 'x86_64',
        config_name: config.name,
        ...(build.seconds !== undefined ? { duration: build.seconds } : {}),
        ...(build.log ? { log_url: fileUrl(build.log, ctx) } : {}),
        status: STATUS[build.status],
        misc: { start: config.start, fragments: config.fragments.join(','), ...(config.seed === undefined ? {} : { seed: config.seed }) },
      });
      const warnings = cellAt(patch, `warnings:${config.name}`);
      if (warnings) tests.push(robotTest(warnings, id, 'warnings', ctx));
    }
    if (!first) return;
    for (const c of record.cells.filter((x) => x.patch === patch && !x.check.includes(':'))) tests.push(robotTest(c, first, c.check, ctx));
  });
  return kcidbDocument({ checkouts, builds, tests });
}

function robotTest(c: Cell, buildId: string, name: string, ctx: KcidbContext): KcidbTest {
  return {
    id: `${buildId}:${pathSegment(name)}`,
    build_id: buildId,
    origin: ctx.origin,
    path: `iofs.robot.${pathSegment(name)}`,
    comment: cellComment(c),
    ...(c.log ? { log_url: fileUrl(c.log, ctx) } : {}),
    status: STATUS[c.status],
    ...(c.seconds !== undefined ? { duration: c.seconds } : {}),
  };
}
