/**
 * The robot's record (record.json of a run, and the committed ones under
 * kernel-patches/robot/records/): read back through the workbench's schema
 * mechanism, so a hand-edited or truncated record names its bad key.
 */
import * as v from 'valibot';
import { bool, dataObject, dataRecord, int, list, loadJsonFile, nonEmptyString, oneOf, str } from '../common/schema.js';
import { STARTS } from './config.js';
import type { RobotRecord } from './run.js';

const cell = dataObject({
  patch: int(0, 9999),
  check: nonEmptyString(),
  status: oneOf(['pass', 'fail', 'n/a']),
  summary: str(),
  details: v.optional(list(str())),
  log: v.optional(str()),
  seconds: v.optional(v.number()),
});

export const robotRecordSchema = dataObject({
  base: nonEmptyString(),
  baseVersion: nonEmptyString(),
  revision: nonEmptyString(),
  seriesHash: v.optional(str()),
  command: v.optional(nonEmptyString()),
  patches: list(nonEmptyString()),
  checks: list(nonEmptyString()),
  configs: list(
    dataObject({
      name: nonEmptyString(),
      why: nonEmptyString(),
      start: oneOf(STARTS),
      seed: v.optional(int(0, 2 ** 31 - 1)),
      fragments: list(str()),
      set: dataRecord(v.string(), str()),
      warnings: bool(),
      arch: v.optional(nonEmptyString()),
    }),
  ),
  touched: dataObject({ sources: list(str()), dirs: list(str()) }),
  cells: list(cell),
  failed: list(int(1, 9999)),
  startedAt: nonEmptyString(),
  seconds: v.number(),
  host: dataObject({ cpus: int(1, 4096), jobs: int(1, 4096), cpu: v.optional(str()) }),
  runDir: str(),
});

export async function loadRobotRecord(file: string): Promise<RobotRecord> {
  return loadJsonFile(robotRecordSchema, file);
}
