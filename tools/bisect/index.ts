/** `iofs bisect-run`: one `git bisect run` step, a workflow over the kernel and vm layers. */
export { BisectExit, bisectExitCode, bisectRun, bisectWord, type BisectRunOptions, type BisectRunResult } from './bisect.js';
