// Runs `nft -j -f FILE` on a JSON document: no shell, no script text, so nothing from a configuration
// is ever parsed as an nft command. The document goes through a file in a private temporary directory
// (mode 0700, the file 0600, removed after): nft cannot read a pipe Node gives it as stdin (a socket,
// which /dev/stdin does not open), and a command line is limited in length. `check` adds -c: the
// kernel validates the batch and nothing is committed.

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandResult } from './run-command.js';

export type NftRunner = (document: string, options?: { readonly check?: boolean }) => Promise<CommandResult>;

const NFT_TIMEOUT_MS = 10_000;
/** More output than this is not an nft error message. */
const MAX_OUTPUT = 256 * 1024;

function execNft(args: readonly string[]): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      'nft',
      [...args],
      { timeout: NFT_TIMEOUT_MS, encoding: 'utf8', maxBuffer: MAX_OUTPUT },
      (error, stdout, stderr) => {
        if (error === null) return resolve({ code: 0, stdout, stderr });
        const code = typeof error.code === 'number' ? error.code : error.code === 'ENOENT' ? 127 : 1;
        resolve({ code, stdout, stderr: stderr || error.message });
      },
    );
  });
}

/** Runs nft on the document; a missing program is code 127, like a shell would say. */
export const runNft: NftRunner = async (document, options = {}) => {
  const dir = await mkdtemp(join(tmpdir(), 'vrrp-nft-'));
  try {
    const file = join(dir, 'batch.json');
    await writeFile(file, document, { mode: 0o600, flag: 'wx' });
    return await execNft([...(options.check === true ? ['-c'] : []), '-j', '-f', file]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};
