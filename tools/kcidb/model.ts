/** The KCIDB objects the workbench writes (the subset of schema v5.3 it fills). */
export type KcidbStatus = 'FAIL' | 'ERROR' | 'MISS' | 'PASS' | 'DONE' | 'SKIP';

export interface KcidbResource {
  name: string;
  url: string;
}

export type KcidbMisc = Record<string, unknown>;

export interface KcidbCheckout {
  id: string;
  origin: string;
  tree_name?: string;
  git_repository_url?: string;
  git_commit_hash?: string;
  git_commit_name?: string;
  patchset_files?: KcidbResource[];
  patchset_hash?: string;
  comment?: string;
  log_url?: string;
  valid?: boolean;
  misc?: KcidbMisc;
}

export interface KcidbBuild {
  id: string;
  checkout_id: string;
  origin: string;
  comment?: string;
  start_time?: string;
  duration?: number;
  architecture?: string;
  compiler?: string;
  input_files?: KcidbResource[];
  output_files?: KcidbResource[];
  config_name?: string;
  config_url?: string;
  log_url?: string;
  log_excerpt?: string;
  status?: KcidbStatus;
  misc?: KcidbMisc;
}

export interface KcidbTest {
  id: string;
  build_id: string;
  origin: string;
  environment?: { comment?: string; misc?: KcidbMisc };
  path?: string;
  comment?: string;
  log_url?: string;
  log_excerpt?: string;
  status?: KcidbStatus;
  number?: { value: number; unit?: string; prefix?: 'metric' | 'binary' };
  start_time?: string;
  duration?: number;
  input_files?: KcidbResource[];
  output_files?: KcidbResource[];
  misc?: KcidbMisc;
}

export interface KcidbDocument {
  version: { major: number; minor: number };
  checkouts: KcidbCheckout[];
  builds: KcidbBuild[];
  tests: KcidbTest[];
}

/** Where the objects come from and how local files become URLs. */
export interface KcidbContext {
  /** KCIDB origin (the submitting CI system): [a-z0-9_]+, "iofs" by default. */
  origin: string;
  /** The cache root (runs, builds, bench results live under it). */
  cacheRoot: string;
  /** Where the cache root is served: its files become URLs under it; otherwise file:// URLs. */
  cacheUrl?: string;
}
