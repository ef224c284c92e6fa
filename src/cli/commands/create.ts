/**
 * `roundtable create`: make a fresh join code, print it on its own line
 * (first line of stdout, so scripts can read it), then join that room (join
 * prints the browser link on the next line). Takes every option `join` takes.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { generateJoinCode } from '../../protocol/index.js';
import { cliContext } from '../context.js';
import { runSessionCommand, withSessionCommandOptions, type SessionCommandArgs } from './join.js';

export const createCommand: CommandModule<object, SessionCommandArgs> = {
  command: 'create',
  describe: 'Create a room: print a fresh join code, then join it',
  builder: (y: Argv<object>) =>
    withSessionCommandOptions(y)
      .example('$0 create', 'Print a code to share, then wait for others to join')
      .example('$0 create --sfu', 'A room whose media goes through the server\'s SFU (`serve --janus`), end-to-end encrypted') as unknown as Argv<SessionCommandArgs>,
  handler: async (args: ArgumentsCamelCase<SessionCommandArgs>) => {
    const code = generateJoinCode();
    cliContext().io.stdout.write(`${code}\n`);
    await runSessionCommand(args, code);
  },
};
