/**
 * Public surface of the patch-series tooling: kernel-patches/<base>/ holds
 * `series` (apply order), 0000-cover-letter.patch (hand-written) and the
 * numbered `git format-patch` files.
 */
export { applySeries, commitsSinceBase, seriesState, type SeriesState, PatchConflictError, type ApplyResult, type SeriesTree } from './apply.js';
export { exportSeries, filesToKeep, type ExportResult } from './export.js';
export { checkSeries, parseCheckpatchTotals, type CheckResult, type PatchCheck } from './check.js';
export {
  coverLetterName,
  formatSeries,
  parseSeries,
  patchFiles,
  patchSubject,
  readSeries,
  seriesHash,
  type Series,
} from './series.js';
export {
  STATUS_FRAGMENTS,
  cellName,
  columnSummary,
  planStatus,
  renderStatus,
  runCells,
  runStatus,
  seriesScenarios,
  verdict,
  type BaseSeries,
  type CellKind,
  type CellPlan,
  type CellResult,
  type CellState,
  type StatusOptions,
  type StatusReport,
} from './status.js';
export { seriesWorktree, worktreePath, type ApplyOutcome, type SeriesWorktree, type WorktreeStamp } from './worktree.js';
export {
  defaultFormatDir,
  formatForSending,
  hasChangelog,
  parseCoverLetter,
  parseMaintainers,
  previousVersionDir,
  subjectPrefix,
  type CoverLetter,
  type FormatOptions,
  type FormatResult,
} from './format.js';
export { commitPatches, patchesOfDir, rangeDiff, sideInTree, touchedPaths, type RangeDiffOptions, type RangeDiffResult, type SeriesSide } from './range-diff.js';
export { BisectExit, bisectExitCode, bisectRun, bisectWord, type BisectRunOptions, type BisectRunResult } from './bisect.js';
export { formatIdentity, resignCommits, resignMessage, senderIdentity, type Identity } from './sender.js';
