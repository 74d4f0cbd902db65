// The values that reach an iptables or nft argument list (the chain name from OPENSHIFT_HA_IPTABLES_CHAIN,
// the comment carrying OPENSHIFT_HA_CONFIG_NAME): each hostile one is refused before any command runs,
// with an error naming its variable, or passed as exactly one quoted nft token. The commands are
// recorded, not run (test/openshift/firewall.root.test.ts runs the real ones in a namespace).

import t from 'tap';
import {
  addVrrpRule,
  checkChainName,
  FirewallValueError,
  nftCommentToken,
  NFT_COMMENT_MAX_BYTES,
  type FirewallBackend,
  type FirewallOptions,
} from '../../src/openshift/firewall.js';
import type { CommandRunner } from '../../src/linux/run-command.js';
import type { RuntimeLogger } from '../../src/model/logger.js';

const quiet = () => {};
const logger: RuntimeLogger = { trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet };

/** A runner that records every command and answers as a node where every chain exists and is empty. */
function recorder(): { run: CommandRunner; commands: string[][] } {
  const commands: string[][] = [];
  const run: CommandRunner = async (command, args) => {
    commands.push([command, ...args]);
    const checking = args.includes('-C') || (command === 'nft' && args[0] === 'list');
    const echo = command === 'nft' && args.includes('-e') ? `${args.slice(2).join(' ')} # handle 7\n` : '';
    return { code: checking ? 1 : 0, stdout: echo, stderr: '' };
  };
  return { run, commands };
}

const SOURCES = { chain: 'OPENSHIFT_HA_IPTABLES_CHAIN', comment: 'OPENSHIFT_HA_CONFIG_NAME' } as const;

function options(backend: FirewallBackend, over: Partial<FirewallOptions>, run: CommandRunner): FirewallOptions {
  return {
    chain: 'INPUT',
    families: new Set([4, 6]),
    backend,
    comment: 'ipfailover test',
    sources: SOURCES,
    logger,
    run,
    ...over,
  };
}

/** Shell, nft and iptables metacharacters, and values too long or not ASCII. */
const HOSTILE = [
  'a;b',
  'a"b',
  "a'b",
  'a`id`b',
  'a$(id)b',
  'a{b}c',
  'a\nb',
  'a#b',
  'a b',
  '-j',
  '--flush',
  'x'.repeat(4096),
  'é',
  'a\u0000b',
];

t.test('a hostile chain name is refused for both backends before any command, naming the variable', async (t) => {
  for (const backend of ['iptables', 'nftables'] as const) {
    for (const chain of HOSTILE) {
      const { run, commands } = recorder();
      await t.rejects(
        addVrrpRule(options(backend, { chain }, run)),
        { name: 'FirewallValueError', field: 'OPENSHIFT_HA_IPTABLES_CHAIN' },
        `${backend} ${JSON.stringify(chain.slice(0, 20))}`,
      );
      t.same(commands, [], 'no command ran');
    }
  }
});

t.test('chain names iptables takes and that are one plain word pass', async (t) => {
  for (const chain of ['INPUT', 'KUBE-FIREWALL', 'my_chain.v4', 'x'.repeat(28)]) t.equal(checkChainName(chain), chain);
  t.throws(
    () => checkChainName('x'.repeat(29), 'OPENSHIFT_HA_IPTABLES_CHAIN'),
    /OPENSHIFT_HA_IPTABLES_CHAIN: chain name "x+" is longer than 28 characters/,
  );
  t.throws(() => checkChainName('.hidden'), FirewallValueError);
});

t.test('the nft comment: one quoted token with any byte nft takes, or refused', async (t) => {
  // nft takes these inside double quotes as data (checked against nft 1.0.6 in firewall.root.test.ts).
  for (const comment of [
    'a;b',
    "a'b",
    'a`id`b',
    'a$(id)b',
    'a{b}c',
    'a#b',
    'a b',
    '-j',
    'é ü',
    'x; add table inet evil',
    'x # handle 1',
  ]) {
    t.equal(nftCommentToken(comment), `"${comment}"`, JSON.stringify(comment));
  }
  t.equal(nftCommentToken('x'.repeat(NFT_COMMENT_MAX_BYTES)).length, NFT_COMMENT_MAX_BYTES + 2, '128 bytes pass');
  t.throws(
    () => nftCommentToken('x'.repeat(NFT_COMMENT_MAX_BYTES + 1), 'OPENSHIFT_HA_CONFIG_NAME'),
    /OPENSHIFT_HA_CONFIG_NAME: .* is 129 bytes long; nft takes at most 128/,
  );
  t.throws(() => nftCommentToken('é'.repeat(65)), /is 130 bytes long/, 'bytes are counted, not characters');
  t.throws(
    () => nftCommentToken('x"; flush ruleset; #', 'OPENSHIFT_HA_CONFIG_NAME'),
    /OPENSHIFT_HA_CONFIG_NAME: nftables comment "x\\"; flush ruleset; #" contains a double quote/,
  );
  t.throws(
    () => nftCommentToken('x\\"; flush ruleset'),
    /double quote/,
    'a backslash does not escape the quote for nft: refused too',
  );
  for (const control of ['a\nb', 'a\rb', 'a\tb', 'a\u0000b', 'a\u007fb', 'a\u0085b']) {
    t.throws(() => nftCommentToken(control), /control character/, JSON.stringify(control));
  }
});

t.test('a hostile config name: refused before any command, or the comment is one argument', async (t) => {
  for (const name of HOSTILE) {
    const { run, commands } = recorder();
    const comment = `ipfailover ${name}`;
    const attempt = addVrrpRule(options('nftables', { comment }, run));
    const refused =
      name.includes('"') || /[\u0000-\u001f]/.test(name) || Buffer.byteLength(comment) > NFT_COMMENT_MAX_BYTES;
    if (refused) {
      await t.rejects(
        attempt,
        { name: 'FirewallValueError', field: 'OPENSHIFT_HA_CONFIG_NAME' },
        JSON.stringify(name.slice(0, 20)),
      );
      t.same(commands, [], 'no command ran');
      continue;
    }
    const rules = await attempt;
    t.equal(rules.added.length, 2, JSON.stringify(name));
    const adds = commands.filter((c) => c.includes('rule'));
    for (const add of adds) t.equal(add.at(-1), `"${comment}"`, 'the last argument is the whole comment, quoted');
    t.equal(adds.length, 2);
  }
});

t.test('the iptables backend passes only checked values and constants', async (t) => {
  const { run, commands } = recorder();
  await addVrrpRule(options('iptables', { chain: 'KUBE-FIREWALL', comment: 'ipfailover a;b$(id)' }, run));
  const inserts = commands.filter((c) => c.includes('-I'));
  t.same(inserts, [
    ['iptables', '-w', '-I', 'KUBE-FIREWALL', '1', '-d', '224.0.0.18/32', '-j', 'ACCEPT'],
    ['ip6tables', '-w', '-I', 'KUBE-FIREWALL', '1', '-d', 'ff02::12/128', '-j', 'ACCEPT'],
  ]);
  t.notOk(
    commands.flat().some((arg) => arg.includes('$(id)')),
    'the comment is not used with iptables',
  );
});

t.test('a family or backend that is not one of ours is refused', async (t) => {
  const { run, commands } = recorder();
  await t.rejects(addVrrpRule(options('nftables', { families: new Set([5 as 4]) }, run)), FirewallValueError);
  await t.rejects(addVrrpRule(options('pf' as FirewallBackend, {}, run)), FirewallValueError);
  t.same(commands, []);
});
