import type { Command } from 'commander';
import { promises as fs } from 'node:fs';
import { writeFileAtomic } from '../../common/atomic.js';
import { InputError } from '../../common/errors.js';
import { log } from '../../common/log.js';
import { action } from '../action.js';
import { parsePath } from '../options.js';

interface ResultsCliOptions {
  export: string;
  junit?: string;
}

export function registerLavaResults(group: Command): void {
  group
    .command('results')
    .description('map LAVA job logs back to the workbench\'s outcomes (PASS, FAIL, PANIC, BOOT-TIMEOUT, INFRA) and JUnit')
    .argument('<job-log...>', 'job logs: lava-run\'s stdout, or a server\'s `lavacli jobs logs ID --raw`')
    .requiredOption('--export <dir>', 'the directory `iofs lava export` wrote (its jobs.json says which scenario each job is)', parsePath)
    .option('--junit <file>', 'write JUnit XML (one testcase for the boot, one per check), as `iofs vm test --junit`')
    .addHelpText(
      'after',
      `
One line per log on stdout, as \`iofs vm test\` prints them, and the exit
code of the worst outcome. A log is matched to its job by the initrd URL it
downloaded. The console decides like \`iofs vm test\`: a panic, Oops, BUG or
WARNING anywhere is PANIC; a job LAVA could not run (infrastructure,
configuration, download, QEMU) is INFRA; no console shell within the boot
timeout is BOOT-TIMEOUT; each check's output, printed base64-framed on the
console, is judged by the same code and expectations as over SSH: one that
fails is FAIL. Then the scenario's expectBoot applies (an expected panic with
the documented console lines is PASS).

Examples:
  iofs lava results --export /tmp/lava kmode-erofs-inplace.log kmode-corrupt-truncated.log --junit lava.xml`,
    )
    .action(
      action(async (_ctx, logs: string[], opts: ResultsCliOptions) => {
        const { readExport, parseLavaLog, jobForLog, mapLavaLog } = await import('../../lava/index.js');
        const { summaryLine, worstExitCode, junitSuite, renderJunit } = await import('../../vm/index.js');
        const jobs = await readExport(opts.export);
        const results = [];
        for (const file of logs) {
          const text = await fs.readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
            throw new InputError(`${file}: ${err.code ?? err.message}`);
          });
          const job = jobForLog(jobs, parseLavaLog(text));
          if (!job) throw new InputError(`${file}: downloads none of the initrds in ${opts.export}/jobs.json: not a log of a job from this export`, { hint: 'give the export directory the job was made from' });
          const r = mapLavaLog(job, text, file);
          process.stdout.write(`${summaryLine(r)}\n`);
          results.push(r);
        }
        if (opts.junit) {
          await writeFileAtomic(opts.junit, renderJunit(results.map(junitSuite), 'iofs lava results'));
          log.info(`JUnit XML: ${opts.junit}`);
        }
        return worstExitCode(results.map((r) => r.outcome));
      }),
    );
}
