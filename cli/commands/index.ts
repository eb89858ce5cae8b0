import type { CommandSpec } from '../commandLine.js';
import type { CliContext } from '../context.js';
import { ci } from './ciCommands.js';
import { consoleCommand } from './console.js';
import { creds } from './creds.js';
import { done, extend, revoke } from './endCommands.js';
import { exec } from './exec.js';
import { audit, inbox, list, reviews, show } from './readCommands.js';
import { report } from './reportCommand.js';
import { request } from './request.js';
import { approve, cancel, deny, review } from './reviewCommands.js';
import { setupProfile } from './setupProfile.js';

/** Every `jit` command, in the order `jit --help` lists them (a grant's life, then the rest). */
const COMMANDS: readonly CommandSpec<CliContext>[] = [
  request,
  list,
  inbox,
  show,
  approve,
  deny,
  cancel,
  creds,
  exec,
  consoleCommand,
  setupProfile,
  done,
  extend,
  revoke,
  audit,
  reviews,
  review,
  ci,
  report,
];

export { COMMANDS };
