import type { Command } from 'commander';
import { registerLavaExport } from './export.js';
import { registerLavaResults } from './results.js';

/** `iofs lava …`: one file per verb beside this one. */
export function registerLava(program: Command): Command {
  const group = program
    .command('lava')
    .description('run the scenarios in a LAVA lab: export them as LAVA jobs with their artifacts (export), map the jobs\' logs back to outcomes (results)')
    .addHelpText(
      'after',
      `
Examples:
  iofs lava export 'kmode-*' --artifacts-url http://files.lab.example/iofs -o out/
  lavacli jobs submit out/kmode-erofs-inplace/job.yaml
  lavacli jobs logs 1234 --raw > 1234.log && iofs lava results --export out/ 1234.log`,
    );
  registerLavaExport(group);
  registerLavaResults(group);
  return group;
}
