// User and group names to numeric ids, read from /etc/passwd and /etc/group asynchronously (no
// getpwnam on the event loop). A number is taken as an id as it is.

import { readFile } from 'node:fs/promises';

export interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

async function readColonFile(path: string): Promise<string[][]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.split(':'));
}

/** Resolves "user" or "user group" (keepalived's script_user / user syntax); throws naming what is unknown. */
export async function resolveRunAs(
  user: string,
  group?: string,
  files = { passwd: '/etc/passwd', group: '/etc/group' },
): Promise<RunAs> {
  const passwd = await readColonFile(files.passwd);
  const entry = /^\d+$/.test(user)
    ? passwd.find((fields) => fields[2] === user)
    : passwd.find((fields) => fields[0] === user);
  let uid: number;
  let gid: number;
  if (entry !== undefined) {
    uid = Number(entry[2]);
    gid = Number(entry[3]);
  } else if (/^\d+$/.test(user)) {
    uid = Number(user);
    gid = uid;
  } else {
    throw new Error(`unknown user "${user}"`);
  }
  if (group !== undefined) {
    if (/^\d+$/.test(group)) gid = Number(group);
    else {
      const groupEntry = (await readColonFile(files.group)).find((fields) => fields[0] === group);
      if (groupEntry === undefined) throw new Error(`unknown group "${group}"`);
      gid = Number(groupEntry[2]);
    }
  }
  return { uid, gid };
}
