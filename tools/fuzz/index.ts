/**
 * Public surface of the EROFS initrd fuzzer (issue 7): the image layout,
 * mutation planning, boot classification and the run itself.
 */
export {
  parseErofsLayout, superblockChecksum, crc32c, SB_FIELDS, EROFS_SB_OFFSET, EROFS_MAGIC,
  type ErofsLayout, type InodeInfo, type DirentInfo, type Span, type SbField,
} from './layout.js';
export { planFuzz, regionQuotas, makeRng, FUZZ_REGIONS, type FuzzCase, type FuzzRegion, type PlanOptions, type Rng } from './plan.js';
export { classifyBoot, attribute, traceFrames, ownerOf, EMULATION_FLAKE, FUZZ_CLASSES, type FuzzClass, type Owner, type Verdict, type BootObservation } from './classify.js';
export { judgeVerification, summarizeVerification, type VerifyOutcome, type VerifySummary } from './verify.js';
export { fuzzBoot, type FuzzBoot, type FuzzBootOptions } from './boot.js';
export { knownCrashesPath, parseKnownCrashes, loadKnownCrashes, knownCrashFor, unexpectedCrashes, type KnownCrash } from './known-crashes.js';
export { runFuzz, summarize, formatSummary, countCases, formatCounts, readKernelBuild, FUZZ_FRAGMENTS, FUZZ_APPEND, type FuzzOptions, type FuzzSummary, type FuzzKernelBuild, type FuzzCounts, type CountedCase, type CaseResult } from './run.js';
export { publishFuzzRecord, loadFuzzRecord, fuzzRecordSchema, fuzzRecord, recordCounts, consoleExcerpt, unpublishableBecause, fuzzRecordPath, fuzzVerifyRecordPath, FUZZ_RECORD_COMMAND, type FuzzRecord, type FuzzRecordCase } from './record.js';
