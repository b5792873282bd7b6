/**
 * KernelCI KCIDB output: the workbench's runs, status matrix and benchmark
 * as KCIDB JSON (schema v5.3, vendored in schema/), validated before writing.
 * Nothing is sent anywhere: submitting is kcidb-submit's job (tools/kcidb/README.md).
 */
export type { KcidbBuild, KcidbCheckout, KcidbContext, KcidbDocument, KcidbResource, KcidbStatus, KcidbTest } from './model.js';
export {
  KCIDB_ORIGIN_PATTERN,
  buildFromFacts,
  buildId,
  cellStatus,
  checkoutFromBuild,
  checkoutId,
  fileUrl,
  kcidbDocument,
  kcidbFromBench,
  kcidbFromRuns,
  kcidbFromStatus,
  metricNumber,
  outcomeStatus,
  pathSegment,
  testsFromRun,
  unknownKernel,
  type BuildFacts,
} from './map.js';
export { KCIDB_SCHEMA_FILE, KCIDB_VERSION, assertValidKcidb, kcidbProblems, kcidbValidator, loadKcidbSchema, type KcidbProblem } from './schema.js';
export { kcidbFromRobot, type RobotSeriesFacts } from './robot.js';
export { compilerOf, readBuildFacts, seriesFiles, writeKcidb } from './sources.js';
