/**
 * The local build robot (`iofs patches robot`): every patch of a series in
 * every configuration of kernel-patches/robot/robot.json, with the warnings
 * each patch adds. A workflow: it builds on kernel trees and the patches
 * tooling, and the CLI is its only user.
 */
export { loadRobotConfigs, loadRobotKunit, robotFile, robotRecordsDir, setFragment, type RobotConfig, type RobotKunit } from './config.js';
export { failedCells, newWarnings, parseCocciReport, parseSphinxWarnings, parseWarnings, renderTable, touchedObjects, untocedDocs, warningCell, type Cell, type CellStatus, type Warning } from './plan.js';
export { cocciScripts, coccinelleCell, docsCell } from './lint.js';
export { findRobotRecord, firstErrorLine, robotChecks, robotVerdict, runRobot, type RobotRecord, type RobotRequest } from './run.js';
export { seriesAtRevision } from './revision.js';
export { loadRobotRecord, robotRecordSchema } from './record.js';
export { kunitCell, kunitFailures, parseKunitSummary, type KunitSpec } from './kunit.js';
