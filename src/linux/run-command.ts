// Runs a program without a shell and reports its exit status and output, for the adapters that drive
// a command-line tool (iptables / nft for OpenShift's VRRP rule; the accept-mode tables use nft-run.ts).

import { execFile } from 'node:child_process';

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export type CommandRunner = (command: string, args: readonly string[]) => Promise<CommandResult>;

const COMMAND_TIMEOUT_MS = 10_000;

/** Runs a program (no shell); a missing program is code 127, like a shell would say. */
export const runCommand: CommandRunner = (command, args) =>
  new Promise((resolve) => {
    execFile(command, [...args], { timeout: COMMAND_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error === null) return resolve({ code: 0, stdout, stderr });
      const code = typeof error.code === 'number' ? error.code : error.code === 'ENOENT' ? 127 : 1;
      resolve({ code, stdout, stderr: stderr || error.message });
    });
  });
