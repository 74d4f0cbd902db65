// Files the daemon writes as root (dumps, pid files, the -t report) and the directories they live in.
// A local user who can write to such a directory must not be able to make root write through a
// planted symlink, replace or delete a file of theirs, or read what we write: keepalived's
// CVE-2018-19044/19045/19046 were a predictable name in /tmp, opened without O_EXCL, symlinks
// followed, mode 0644. Here every file is created under a random temporary name with
// O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600, in the final name's own directory, then renamed over the final
// name; rename(2) replaces a directory entry and never follows a link planted there. See
// docs/vrrpd.md, "Files".

import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readlinkSync,
  readSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { errorCode, hasCode } from '../errors.js';

/** The root-only directory the dumps go to by default. */
export const PRIVATE_DIR = '/run/vrrpd';

/** A path refused because another user could have planted or could swap it. */
export class UnsafePathError extends Error {
  override readonly name = 'UnsafePathError';
  readonly code = 'EUNSAFE';
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

const MAX_SYMLINKS = 40;
const STICKY = 0o1000;

/** The effective uid: whose files are ours. */
export function ourUid(): number {
  return process.geteuid?.() ?? 0;
}

/** Root's and our own entries are trusted; anyone else's could be swapped under us. */
function trusted(uid: number): boolean {
  return uid === 0 || uid === ourUid();
}

function octal(mode: number): string {
  return `0${(mode & 0o7777).toString(8)}`;
}

/** lstat(2), or undefined when there is nothing at `path`. */
export function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return undefined;
    throw error;
  }
}

function checkDirectoryEntry(path: string, stats: Stats): void {
  if (!stats.isDirectory()) throw new UnsafePathError(path, 'is not a directory');
  if (!trusted(stats.uid))
    throw new UnsafePathError(
      path,
      `is owned by uid ${stats.uid}, neither root nor us: its owner could swap what we write there`,
    );
  // Others may create entries in a sticky directory (/tmp) but not rename or delete ours.
  if ((stats.mode & 0o022) !== 0 && (stats.mode & STICKY) === 0) {
    throw new UnsafePathError(
      path,
      `is writable by group or others (mode ${octal(stats.mode)}) and not sticky: they could rename or delete what we write there`,
    );
  }
}

/**
 * Refuses a directory another user could swap under us: every directory on the way from / must
 * belong to root or to us and, when others may write to it, be sticky; every symbolic link followed
 * on the way must belong to root or to us (/var/run -> /run is fine, a link a user left in /tmp is not).
 */
export function checkDirectory(dir: string): void {
  const pending = resolve(dir)
    .split('/')
    .filter((part) => part !== '');
  let at = '/';
  let links = 0;
  checkDirectoryEntry(at, lstatSync(at));
  while (pending.length > 0) {
    const name = pending.shift()!;
    if (name === '.') continue;
    if (name === '..') {
      at = dirname(at);
      continue;
    }
    const next = join(at, name);
    const stats = lstatSync(next);
    if (stats.isSymbolicLink()) {
      if (!trusted(stats.uid))
        throw new UnsafePathError(next, `is a symbolic link owned by uid ${stats.uid}; refusing to follow it`);
      if (++links > MAX_SYMLINKS) throw new UnsafePathError(dir, 'has too many levels of symbolic links');
      const target = readlinkSync(next);
      pending.unshift(...target.split('/').filter((part) => part !== ''));
      if (isAbsolute(target)) at = '/';
      continue;
    }
    checkDirectoryEntry(next, stats);
    at = next;
  }
}

/**
 * The daemon's own directory (`/run/vrrpd`): created 0700 when missing; refused when it is a symbolic
 * link, not a directory, not ours, or open to group or others (sticky or not: nobody else belongs there).
 */
export function ensurePrivateDirectory(dir: string): void {
  checkDirectory(dirname(dir));
  try {
    // mkdir(2) never follows a final symbolic link: one planted here gives EEXIST, then lstat sees it.
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if (!hasCode(error, 'EEXIST')) throw error;
  }
  const stats = lstatSync(dir);
  if (stats.isSymbolicLink())
    throw new UnsafePathError(dir, 'is a symbolic link; the private directory must be a real directory');
  if (!stats.isDirectory()) throw new UnsafePathError(dir, 'is not a directory');
  if (stats.uid !== ourUid())
    throw new UnsafePathError(dir, `is owned by uid ${stats.uid}, not by us (uid ${ourUid()})`);
  if ((stats.mode & 0o077) !== 0)
    throw new UnsafePathError(dir, `is open to group or others (mode ${octal(stats.mode)}); it must be 0700`);
}

/** May a file of ours replace `path`? Only a regular file of ours, with no other hard link, or nothing. */
function checkReplaceable(path: string): void {
  const stats = lstatOrUndefined(path);
  if (stats === undefined) return;
  if (stats.isSymbolicLink())
    throw new UnsafePathError(
      path,
      'is a symbolic link; refusing to replace it (it may have been planted to redirect our write)',
    );
  if (!stats.isFile()) throw new UnsafePathError(path, 'exists and is not a regular file; refusing to replace it');
  if (stats.uid !== ourUid())
    throw new UnsafePathError(path, `is owned by uid ${stats.uid}, not by us; refusing to replace it`);
  if (stats.nlink > 1)
    throw new UnsafePathError(path, `has ${stats.nlink} hard links; refusing to replace a file that is also elsewhere`);
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // nothing to clean up
  }
}

/**
 * Writes `content` to `path`, with `mode` (0600 unless said) whatever the umask: a new file under a
 * random name in the same directory (O_CREAT|O_EXCL|O_NOFOLLOW: never an existing file, never through
 * a link), then renamed over `path`, so a reader never sees half a file. Throws UnsafePathError naming
 * the path when the directory or the final name is not safe to write; nothing is written then.
 */
export function writePrivateFile(path: string, content: string, mode = 0o600): void {
  const dir = dirname(path);
  checkDirectory(dir);
  checkReplaceable(path);
  const temporary = join(dir, `.${basename(path)}.${randomBytes(8).toString('hex')}.tmp`);
  const fd = openSync(
    temporary,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    try {
      fchmodSync(fd, mode);
      writeFileSync(fd, content);
    } finally {
      closeSync(fd);
    }
    // Again just before the rename: the final name may have changed while we wrote.
    checkReplaceable(path);
    renameSync(temporary, path);
  } catch (error) {
    removeQuietly(temporary);
    throw error;
  }
}

/**
 * The contents of a small file of ours, or undefined when there is none. Refuses a symbolic link
 * (O_NOFOLLOW), anything but a regular file (O_NONBLOCK: a FIFO planted there cannot stall us) and a
 * file someone else owns.
 */
export function readOwnFile(path: string, maxBytes = 4096): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw new UnsafePathError(path, 'is a symbolic link; refusing to follow it');
    throw error;
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new UnsafePathError(path, 'is not a regular file');
    if (stats.uid !== ourUid()) throw new UnsafePathError(path, `is owned by uid ${stats.uid}, not by us`);
    const buffer = Buffer.alloc(maxBytes);
    const length = readSync(fd, buffer, 0, maxBytes, 0);
    return buffer.subarray(0, length).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Removes `path` only if it is still a regular file of ours holding exactly `expected` (a pid file
 * another daemon has since rewritten, or a link put in its place, is left alone). True when removed.
 */
export function removeOwnFile(path: string, expected: string): boolean {
  try {
    if (readOwnFile(path) !== expected) return false;
    unlinkSync(path);
    return true;
  } catch {
    return false;
  }
}
