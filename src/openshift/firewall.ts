// The rule OPENSHIFT_HA_IPTABLES_CHAIN asks for: accept VRRP's multicast group in the named chain, so a
// node firewall does not eat the adverts. The keepalived image runs
//   iptables -I <chain> 1 -d 224.0.0.18/32 -j ACCEPT      (when `iptables -C` finds no such rule)
// and its newest version uses an nftables table `inet keepalived` instead. We add the same rule once
// (idempotent: an identical rule already there is left alone and not removed), for IPv6 instances the
// same for ff02::12 with ip6tables, and remove exactly what we added at exit (the wrapper's removal was
// buggy). A missing chain is not created (as documented): that is a warning, not a failure.
// Commands run without a shell, each with a timeout; the runner is injectable so tests can run them
// inside a network namespace. No shell sees the arguments, but nft does not take argv as data: it joins
// its arguments with blanks and parses them as one nft script. So every value from outside (the chain
// name, the comment) is checked here, where it becomes an argument, and refused with an error naming
// the variable it came from; iptables gets argv, and its chain name is still held to iptables' rules.

import { ConfigError } from '../model/config-error.js';
import type { RuntimeLogger } from '../model/logger.js';
import type { IpFamily } from '../wire/types.js';
import { runCommand, type CommandRunner } from '../linux/run-command.js';

export type FirewallBackend = 'iptables' | 'nftables';

const GROUPS: Record<IpFamily, { iptables: string; group: string; nftMatch: string }> = {
  4: { iptables: 'iptables', group: '224.0.0.18/32', nftMatch: 'ip daddr 224.0.0.18' },
  6: { iptables: 'ip6tables', group: 'ff02::12/128', nftMatch: 'ip6 daddr ff02::12' },
};

export const NFT_TABLE = 'keepalived';
/** nftables base chains by the iptables chain name they stand for. */
const NFT_HOOKS: Record<string, string> = {
  INPUT: 'input',
  OUTPUT: 'output',
  FORWARD: 'forward',
  PREROUTING: 'prerouting',
  POSTROUTING: 'postrouting',
};

/** iptables refuses longer chain names ("must be under 29 chars"). */
export const IPTABLES_CHAIN_MAX_LENGTH = 28;
/** nft refuses a longer comment ("comment too long, 128 characters maximum allowed"); it counts bytes. */
export const NFT_COMMENT_MAX_BYTES = 128;
/**
 * A subset of what iptables takes as a chain name (it refuses blanks and a leading "-" or "!", and
 * takes ";" or '"'), chosen so that the name is also one plain word in an nft script and never an option.
 */
const CHAIN_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
/** Control characters: nft would take them in a comment, but a newline splits our rule over two lines of `nft -a list`. */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/** A value refused before it became a firewall command's argument. */
export class FirewallValueError extends ConfigError {
  constructor(source: string, what: string, value: string, problem: string) {
    super(source, `${what} ${shown(value)} ${problem}; no firewall command was run`);
    this.name = 'FirewallValueError';
  }
}

/** A value as an error shows it: quoted and escaped (a newline stays visible), at most 80 characters of it. */
function shown(value: string): string {
  return value.length <= 80
    ? JSON.stringify(value)
    : `${JSON.stringify(value.slice(0, 80))}... (${value.length} characters)`;
}

/** Where the checked values came from, named by the error that refuses one (e.g. OPENSHIFT_HA_IPTABLES_CHAIN). */
export interface FirewallValueSources {
  readonly chain?: string;
  readonly comment?: string;
}

/** Returns `chain` if iptables and nft can both take it as one plain name; throws FirewallValueError otherwise. */
export function checkChainName(chain: string, source = 'chain'): string {
  if (chain.length > IPTABLES_CHAIN_MAX_LENGTH) {
    throw new FirewallValueError(
      source,
      'chain name',
      chain,
      `is longer than ${IPTABLES_CHAIN_MAX_LENGTH} characters (iptables' limit)`,
    );
  }
  if (!CHAIN_NAME.test(chain)) {
    throw new FirewallValueError(
      source,
      'chain name',
      chain,
      'is not a chain name: expected ASCII letters, digits, "_", "-" and ".", not starting with "-" or "."',
    );
  }
  return chain;
}

/**
 * The comment as the one nft token `"comment"`. Inside double quotes nft takes every byte but the
 * double quote itself (there is no escape: `\"` ends the string), up to 128 bytes; we also refuse
 * control characters. Anything else is refused, never escaped.
 */
export function nftCommentToken(comment: string, source = 'comment'): string {
  if (comment.includes('"'))
    throw new FirewallValueError(
      source,
      'nftables comment',
      comment,
      'contains a double quote, which an nft comment cannot hold',
    );
  if (CONTROL_CHARACTER.test(comment))
    throw new FirewallValueError(
      source,
      'nftables comment',
      comment,
      'contains a control character (newline, tab, ...)',
    );
  const bytes = Buffer.byteLength(comment, 'utf8');
  if (bytes > NFT_COMMENT_MAX_BYTES) {
    throw new FirewallValueError(
      source,
      'nftables comment',
      comment,
      `is ${bytes} bytes long; nft takes at most ${NFT_COMMENT_MAX_BYTES}`,
    );
  }
  return `"${comment}"`;
}

/**
 * Checks every value of `options` that reaches a command line; throws FirewallValueError for the first
 * bad one. The comment is checked with the iptables backend too (which does not use it): the backend is
 * picked per node, and one deployment should not start on some nodes and fail on others.
 */
export function checkFirewallOptions(
  options: Pick<FirewallOptions, 'chain' | 'comment' | 'families' | 'backend' | 'sources'>,
): void {
  checkChainName(options.chain, options.sources?.chain);
  nftCommentToken(options.comment, options.sources?.comment);
  for (const family of options.families) {
    if (family !== 4 && family !== 6)
      throw new FirewallValueError('families', 'address family', String(family), 'is not 4 or 6');
  }
  if (options.backend !== undefined && options.backend !== 'iptables' && options.backend !== 'nftables') {
    throw new FirewallValueError('backend', 'firewall', String(options.backend), 'is not iptables or nftables');
  }
}

export interface FirewallOptions {
  readonly chain: string;
  readonly families: ReadonlySet<IpFamily>;
  /** Undefined: iptables when the node's iptables works, else nftables. */
  readonly backend?: FirewallBackend;
  /** Marks our nftables rule so that exactly it is removed. */
  readonly comment: string;
  readonly sources?: FirewallValueSources;
  readonly logger: RuntimeLogger;
  readonly run?: CommandRunner;
}

/** What was added, so that exactly that is removed. */
export interface FirewallRules {
  readonly backend: FirewallBackend | undefined;
  /** Human-readable rules we added (empty: none, e.g. already there or the chain is missing). */
  readonly added: readonly string[];
  remove(): Promise<void>;
}

async function chooseBackend(run: CommandRunner): Promise<FirewallBackend | undefined> {
  if ((await run('iptables', ['-w', '-S', 'INPUT', '1'])).code !== 127) return 'iptables';
  if ((await run('nft', ['--version'])).code !== 127) return 'nftables';
  return undefined;
}

async function addIptables(options: FirewallOptions, run: CommandRunner): Promise<FirewallRules> {
  const { chain, logger } = options;
  const added: { family: IpFamily; text: string }[] = [];
  for (const family of [...options.families].sort()) {
    const { iptables, group } = GROUPS[family];
    const rule = ['-d', group, '-j', 'ACCEPT'];
    const text = `${iptables} -I ${chain} 1 ${rule.join(' ')}`;
    const check = await run(iptables, ['-w', '-C', chain, ...rule]);
    if (check.code === 0) {
      logger.info(
        { event: 'firewall', action: 'present', rule: text },
        `firewall: the rule is already in ${chain}; left as it is`,
      );
      continue;
    }
    const listed = await run(iptables, ['-w', '-S', chain]);
    if (listed.code !== 0) {
      logger.warn(
        { event: 'firewall', action: 'skipped', chain, error: listed.stderr.trim() },
        `firewall: chain ${chain} does not exist (${iptables}); not created, no rule added`,
      );
      continue;
    }
    const insert = await run(iptables, ['-w', '-I', chain, '1', ...rule]);
    if (insert.code !== 0) throw new Error(`${text} failed: ${insert.stderr.trim()}`);
    logger.info({ event: 'firewall', action: 'added', rule: text }, `firewall: added ${text}`);
    added.push({ family, text });
  }
  let removed = false;
  return {
    backend: 'iptables',
    added: added.map((a) => a.text),
    async remove() {
      if (removed) return;
      removed = true;
      for (const { family, text } of added) {
        const { iptables, group } = GROUPS[family];
        const result = await run(iptables, ['-w', '-D', chain, '-d', group, '-j', 'ACCEPT']);
        if (result.code === 0)
          logger.info({ event: 'firewall', action: 'removed', rule: text }, `firewall: removed ${text}`);
        else
          logger.error(
            { event: 'firewall', action: 'remove-failed', rule: text, error: result.stderr.trim() },
            `firewall: could not remove ${text}`,
          );
      }
    },
  };
}

/**
 * Handles of the rules (in `nft -a` output) whose text contains `marker`. The handle is the one nft
 * prints at the end of the line: a comment may itself read "# handle 5".
 */
function nftHandles(listing: string, marker: string): number[] {
  return listing
    .split('\n')
    .filter((line) => line.includes(marker))
    .map((line) => /# handle (\d+)\s*$/.exec(line)?.[1])
    .filter((h): h is string => h !== undefined)
    .map(Number);
}

/** Runs nft with these arguments; a non-zero exit throws with its stderr. Resolves to its stdout. */
function nftCommand(run: CommandRunner): (...args: string[]) => Promise<string> {
  return async (...args) => {
    const result = await run('nft', args);
    if (result.code !== 0) throw new Error(`nft ${args.join(' ')} failed: ${result.stderr.trim()}`);
    return result.stdout;
  };
}

async function addNftables(options: FirewallOptions, run: CommandRunner): Promise<FirewallRules> {
  const { chain, logger } = options;
  const hook = NFT_HOOKS[chain.toUpperCase()];
  const none: FirewallRules = { backend: 'nftables', added: [], remove: async () => {} };
  if (hook === undefined) {
    logger.warn(
      { event: 'firewall', action: 'skipped', chain },
      `firewall: nftables has no hook for chain ${chain} (expected ${Object.keys(NFT_HOOKS).join(', ')}); no rule added`,
    );
    return none;
  }
  const nft = nftCommand(run);
  const tableExisted = (await run('nft', ['list', 'table', 'inet', NFT_TABLE])).code === 0;
  const chainExisted = tableExisted && (await run('nft', ['list', 'chain', 'inet', NFT_TABLE, chain])).code === 0;
  if (!tableExisted) await nft('add', 'table', 'inet', NFT_TABLE);
  if (!chainExisted)
    await nft('add', 'chain', 'inet', NFT_TABLE, chain, `{ type filter hook ${hook} priority filter; policy accept; }`);
  const listing = await nft('-a', 'list', 'chain', 'inet', NFT_TABLE, chain);
  const added: string[] = [];
  const handles: number[] = [];
  for (const family of [...options.families].sort()) {
    const { nftMatch } = GROUPS[family];
    // A rule's text, not a comment that quotes one, says it is already there.
    if (listing.split('\n').some((line) => line.trim().startsWith(`${nftMatch} accept`))) {
      logger.info(
        { event: 'firewall', action: 'present', rule: nftMatch },
        `firewall: inet ${NFT_TABLE} ${chain} already accepts ${nftMatch}; left as it is`,
      );
      continue;
    }
    // --echo --handle prints the new rule with its handle: exactly that one is deleted at exit.
    const echoed = await nft(
      '-e',
      '-a',
      'add',
      'rule',
      'inet',
      NFT_TABLE,
      chain,
      ...nftMatch.split(' '),
      'accept',
      'comment',
      nftCommentToken(options.comment, options.sources?.comment),
    );
    handles.push(...nftHandles(echoed, nftMatch));
    const text = `nft add rule inet ${NFT_TABLE} ${chain} ${nftMatch} accept`;
    logger.info({ event: 'firewall', action: 'added', rule: text }, `firewall: added ${text}`);
    added.push(text);
  }
  let removed = false;
  return {
    backend: 'nftables',
    added,
    async remove() {
      if (removed) return;
      removed = true;
      try {
        if (!tableExisted) {
          await nft('delete', 'table', 'inet', NFT_TABLE);
        } else if (!chainExisted) {
          await nft('delete', 'chain', 'inet', NFT_TABLE, chain);
        } else {
          for (const handle of handles) await nft('delete', 'rule', 'inet', NFT_TABLE, chain, 'handle', String(handle));
        }
        for (const text of added)
          logger.info({ event: 'firewall', action: 'removed', rule: text }, `firewall: removed ${text}`);
      } catch (error) {
        logger.error(
          { event: 'firewall', action: 'remove-failed', error: (error as Error).message },
          `firewall: ${(error as Error).message}`,
        );
      }
    },
  };
}

/**
 * Adds the VRRP accept rule(s) to `chain`; rejects with FirewallValueError (before any command) for a
 * value that cannot be an argument, otherwise only when a command that should work fails.
 */
export async function addVrrpRule(options: FirewallOptions): Promise<FirewallRules> {
  checkFirewallOptions(options);
  const run = options.run ?? runCommand;
  const backend = options.backend ?? (await chooseBackend(run));
  if (backend === undefined) {
    options.logger.warn(
      { event: 'firewall', action: 'skipped' },
      'firewall: neither iptables nor nft is installed; no rule added',
    );
    return { backend: undefined, added: [], remove: async () => {} };
  }
  return backend === 'iptables' ? addIptables(options, run) : addNftables(options, run);
}
