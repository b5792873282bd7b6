/**
 * Public surface of kernel trees and builds (issue: kernel builds and VM tests).
 * The VM runner calls buildKernel(); the CLI verbs `iofs kernel prepare|build`
 * are thin wrappers over the same functions.
 */
export {
  archMakeEnv,
  buildKernel,
  defaultFragments,
  firstErrors,
  planBuildDir,
  type BuildMetadata,
  type BuildRequest,
  type BuildResult,
  type SourceVariant,
} from './build.js';
export { buildDirOf, buildRecordBeside, buildRecordIn, readBuildRecord, readBuildRecordIfAny } from './build-record.js';
export { baseTag, getBase, loadBases, loadBaseSet, parseBases, parseBaseSet, patchesDir, primaryBaseName, type BaseSet, type KernelBase } from './bases.js';
export {
  configHash,
  configsDir,
  findDroppedSymbols,
  formatDropped,
  parseConfigFragment,
  parseDotConfig,
  resolveFragment,
  type ConfigRequest,
  type DroppedSymbol,
  type Fragment,
} from './config.js';
export {
  baseCommitMessage,
  externalTree,
  prepareTree,
  preparedTreePath,
  pristineTree,
  pristineTreePath,
  recordBase,
  resolveTree,
  sideCache,
  type KernelTree,
} from './tree.js';
export { withLock, lockPathFor } from './lock.js';
export { parseAptShow, sourceTarball, sourcesDir, upstreamVersion, type SourceRecord } from './source.js';
