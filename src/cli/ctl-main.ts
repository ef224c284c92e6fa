/**
 * The entry of `roundtable ctl …` (bin/roundtable comes here for it): the
 * same command line as main.ts, with only the ctl command loaded, so that a
 * desktop hotkey's `roundtable ctl ptt press` starts in a fraction of the
 * time a command that loads the audio engine and the terminal UI takes.
 */
import { ctlCommand } from './commands/ctl.js';
import { runAsProgram } from './run.js';

await runAsProgram([ctlCommand]);
