/**
 * Public surface of the patch-series tooling: kernel-patches/<base>/ holds
 * `series` (apply order), 0000-cover-letter.patch (hand-written) and the
 * numbered `git format-patch` files.
 */
export { applySeries, commitsSinceBase, seriesState, type SeriesState, PatchConflictError, type ApplyResult, type SeriesTree } from '../git/index.js';
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
} from '../git/index.js';
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
export { formatIdentity, resignCommits, resignMessage, senderIdentity, type Identity } from './sender.js';
