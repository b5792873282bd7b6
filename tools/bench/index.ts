/**
 * Public surface of the benchmark (issue 5): the matrix as data, planning
 * (pure), packing images once, running boots through the VM harness,
 * aggregation, and the results directory.
 */
export { loadMatrix, parseMatrix, parseSizeSpec, parseIcountSetting, formatSizeLabel, defaultMatrixPath, type IcountShift, type BenchMatrix, type BenchMode, type SizeSpec, type KernelSpec } from './matrix.js';
export { planBench, readFileFor, defaultBenchJobs, type BenchPlan, type BenchCell, type BootTask, type ImageSpec, type Selection } from './plan.js';
export { ensureImage, imageKey, imageFileName, imagesDir, type PackedImage } from './images.js';
export { extraConsoleMetrics, stripHostTimestamp, summarize, stats, median, METRICS, type BootRecord, type BootMetrics, type CellSummary, type Metric, type Stats } from './aggregate.js';
export { runBench, scenarioJson, bootRecord, type BenchOptions, type BenchMeta, type BenchResult, type KernelRecord } from './run.js';
export { writeResults, publishResults, loadRawResults, rawResultsSchema, summarySchema, defaultOutDir, reportInput, reportModes, modeKind, runFacts, publishedResultsDir, publishedDirFor, RESULT_FILES, NOTES } from './results.js';
export { mergeRuns, type RawRun } from './merge.js';
export { handoverBenchFile, handoverBenchSchema, handoverRawSchema, handoverBoot, handoverTable, loadHandoverBench, settledMemory, publishedHandoverDir, runHandoverBench, type HandoverBench, type HandoverBoot, type HandoverRow } from './handover.js';
