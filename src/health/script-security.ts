// keepalived enable_script_security: a script run as root must not be modifiable by anyone but root.
// Checked on the real path (symbolic links resolved) and on every directory above it: each must be
// owned by root and writable neither by its group (unless that is group 0) nor by others. A bare
// program name is looked up on PATH first.

import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { errorCode } from '../errors.js';

const S_IWGRP = 0o020;
const S_IWOTH = 0o002;

/** argv[0] as execvp would find it, or undefined. */
export async function findProgram(
  program: string,
  path = process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
): Promise<string | undefined> {
  if (program.includes('/')) return program;
  for (const directory of path.split(delimiter)) {
    if (directory === '') continue;
    const candidate = join(directory, program);
    if (
      await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  return undefined;
}

/** Undefined when the program is safe to run; otherwise why it is refused. */
export async function scriptSecurityProblem(program: string): Promise<string | undefined> {
  const found = await findProgram(program);
  if (found === undefined) return `${program} not found on PATH`;
  let real: string;
  try {
    real = await realpath(isAbsolute(found) ? found : join(process.cwd(), found));
  } catch (error) {
    return `${found}: ${errorCode(error) ?? (error instanceof Error ? error.message : String(error))}`;
  }
  for (let path = real; ; path = dirname(path)) {
    const info = await stat(path);
    if (info.uid !== 0) return `${path} (on the path of ${found}) is owned by uid ${info.uid}, not root`;
    if ((info.mode & S_IWGRP) !== 0 && info.gid !== 0)
      return `${path} (on the path of ${found}) is writable by group ${info.gid}`;
    if ((info.mode & S_IWOTH) !== 0) return `${path} (on the path of ${found}) is writable by everyone`;
    if (path === dirname(path)) return undefined;
  }
}
