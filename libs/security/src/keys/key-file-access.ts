import { realpathSync, Stats, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { KeyringError } from './keyring-error';

/**
 * Who may read and write key material: the one rule, for every key purpose.
 *
 * - Every key file (private key, public key, `current`) is judged by the file a symlink resolves to,
 *   and no one but its owner may write it.
 * - A secret key file (an Ed25519 private key or a session key) may be read by its owner and, only when the file's group is one of this process's
 *   groups (a Kubernetes Secret mounted with `fsGroup`), by that group; never by others.
 * - A folder holding key files (or the target of a key symlink) that group or others may write is
 *   refused, unless it is root-owned with the sticky bit: how Kubernetes mounts a Secret, whose files
 *   are `..data/…` symlinks that only root replaces.
 */
export type KeyFileKind = 'private key' | 'session key' | 'public key' | 'current-key file';

/** Key files whose content is secret: their readers are restricted too. */
const SECRET_KINDS: ReadonlySet<KeyFileKind> = new Set(['private key', 'session key']);

const WRITABLE_BY_GROUP_OR_OTHERS = 0o022;
const READABLE_BY_OTHERS = 0o004;
const READABLE_BY_GROUP = 0o040;
const STICKY = 0o1000;

function modeText(stats: Stats): string {
  return `0${(stats.mode & 0o7777).toString(8)}`;
}

function processGroups(): Set<number> {
  return new Set([process.getegid?.() ?? -1, ...(process.getgroups?.() ?? [])]);
}

function resolved(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function shown(path: string, target: string): string {
  return target === path ? path : `${path} (a symlink to ${target})`;
}

/** Refuses a key folder that group or others may write, unless root owns it with the sticky bit. */
export function assertKeyFolderAccess(folder: string): void {
  const target = resolved(folder);
  const stats = statSync(target);
  if ((stats.mode & WRITABLE_BY_GROUP_OR_OTHERS) === 0 || (stats.uid === 0 && (stats.mode & STICKY) !== 0)) {
    return;
  }
  throw new KeyringError(
    `key folder ${shown(folder, target)} has mode ${modeText(stats)}: group or others may add or replace key files in it; ` +
      `fix it with \`chmod go-w ${target}\``,
    folder,
  );
}

/** Applies the rule above to one key file whose (symlink-following) stats are given, and to its target's folder. */
export function assertKeyFileAccess(path: string, stats: Stats, kind: KeyFileKind): void {
  const target = resolved(path);
  if ((stats.mode & WRITABLE_BY_GROUP_OR_OTHERS) !== 0) {
    throw new KeyringError(
      `${kind} ${shown(path, target)} has mode ${modeText(stats)}, writable beyond its owner; fix it with \`chmod go-w ${target}\``,
      path,
    );
  }
  if (SECRET_KINDS.has(kind)) {
    const readableByStrangers = (stats.mode & READABLE_BY_OTHERS) !== 0 || ((stats.mode & READABLE_BY_GROUP) !== 0 && !processGroups().has(stats.gid));
    if (readableByStrangers) {
      throw new KeyringError(
        `${kind} ${shown(path, target)} has mode ${modeText(stats)} (group ${stats.gid}), readable beyond its owner and this process's groups; ` +
          `fix it with \`chmod 600 ${target}\` (and \`chown 10001:10001 ${target}\` in the container)`,
        path,
      );
    }
  }
  if (target !== path) {
    assertKeyFolderAccess(dirname(target));
  }
}
