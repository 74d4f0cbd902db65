// The OPENSHIFT_HA_IPTABLES_CHAIN rule, with the real iptables / ip6tables / nft, inside a network
// namespace of its own (so the host's firewall is never touched): added once, left alone when already
// there, removed exactly at the end, a missing chain not created; a hostile config name adds nothing
// but our rule (read back with `nft list ruleset`).

import t from 'tap';
import { execFileSync } from 'node:child_process';
import { forgetNamespace, rememberNamespace } from '../netns/cleanup.js';
import { addVrrpRule, type FirewallOptions } from '../../src/openshift/firewall.js';
import { runCommand, type CommandRunner } from '../../src/linux/run-command.js';
import type { RuntimeLogger } from '../../src/model/logger.js';

function missing(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  for (const tool of ['ip', 'iptables', 'ip6tables', 'nft']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed`;
    }
  }
  return undefined;
}

t.test('the VRRP accept rule in a namespace', { skip: missing() ?? false }, async (t) => {
  const ns = `vnfw${process.pid}`;
  rememberNamespace(ns);
  execFileSync('ip', ['netns', 'add', ns]);
  t.teardown(() => {
    try {
      execFileSync('ip', ['netns', 'del', ns]);
    } catch {
      // already gone
    }
    forgetNamespace(ns);
  });
  const inNs: CommandRunner = (command, args) => runCommand('ip', ['netns', 'exec', ns, command, ...args]);
  const sh = (command: string, ...args: string[]) =>
    execFileSync('ip', ['netns', 'exec', ns, command, ...args], { encoding: 'utf8' });

  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const record = (level: string) => (fields: object, message?: string) =>
    lines.push({ level, fields: fields as Record<string, unknown>, message: message ?? '' });
  const logger: RuntimeLogger = {
    trace: record('trace'),
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
  };
  const options = (over: Partial<FirewallOptions>): FirewallOptions => ({
    chain: 'INPUT',
    families: new Set([4]),
    comment: 'ipfailover test',
    logger,
    run: inNs,
    ...over,
  });
  const count = (text: string, needle: string) => text.split('\n').filter((l) => l.includes(needle)).length;

  await t.test('iptables: added at the top of the chain once, removed at the end', async (t) => {
    const first = await addVrrpRule(options({ backend: 'iptables', families: new Set([4, 6]) }));
    t.same(first.added, [
      'iptables -I INPUT 1 -d 224.0.0.18/32 -j ACCEPT',
      'ip6tables -I INPUT 1 -d ff02::12/128 -j ACCEPT',
    ]);
    t.match(sh('iptables', '-S', 'INPUT'), /-A INPUT -d 224\.0\.0\.18\/32 -j ACCEPT/);
    t.match(sh('ip6tables', '-S', 'INPUT'), /-A INPUT -d ff02::12\/128 -j ACCEPT/);
    // A second start (or the old image's rule) finds it and adds nothing: not duplicated, not removed.
    const second = await addVrrpRule(options({ backend: 'iptables' }));
    t.same(second.added, []);
    t.equal(count(sh('iptables', '-S', 'INPUT'), '224.0.0.18'), 1);
    await second.remove();
    t.equal(count(sh('iptables', '-S', 'INPUT'), '224.0.0.18'), 1, 'the rule it did not add stays');
    await first.remove();
    await first.remove();
    t.equal(count(sh('iptables', '-S', 'INPUT'), '224.0.0.18'), 0);
    t.equal(count(sh('ip6tables', '-S', 'INPUT'), 'ff02::12'), 0);
  });

  await t.test('iptables: the rule goes first, before a DROP already in the chain', async (t) => {
    sh('iptables', '-A', 'INPUT', '-p', '112', '-j', 'DROP');
    const rules = await addVrrpRule(options({ backend: 'iptables' }));
    const listed = sh('iptables', '-S', 'INPUT')
      .split('\n')
      .filter((l) => l.startsWith('-A'));
    t.match(listed[0], /224\.0\.0\.18/);
    await rules.remove();
    sh('iptables', '-D', 'INPUT', '-p', '112', '-j', 'DROP');
  });

  await t.test('a missing chain is not created: a warning, no rule', async (t) => {
    lines.length = 0;
    const rules = await addVrrpRule(options({ backend: 'iptables', chain: 'NO_SUCH_CHAIN' }));
    t.same(rules.added, []);
    t.ok(lines.some((l) => l.level === 'warn' && /NO_SUCH_CHAIN does not exist/.test(l.message)));
    t.throws(() => sh('iptables', '-S', 'NO_SUCH_CHAIN'), 'still no such chain');
  });

  await t.test('nftables: table inet keepalived made and removed with its rule', async (t) => {
    const rules = await addVrrpRule(options({ backend: 'nftables', families: new Set([4, 6]) }));
    t.equal(rules.added.length, 2);
    const listing = sh('nft', 'list', 'table', 'inet', 'keepalived');
    t.match(listing, /hook input/);
    t.match(listing, /ip daddr 224\.0\.0\.18 accept/);
    t.match(listing, /ip6 daddr ff02::12 accept/);
    const again = await addVrrpRule(options({ backend: 'nftables' }));
    t.same(again.added, [], 'already there: nothing added');
    await again.remove();
    t.match(
      sh('nft', 'list', 'table', 'inet', 'keepalived'),
      /224\.0\.0\.18/,
      'still there after the second one stops',
    );
    await rules.remove();
    t.throws(() => sh('nft', 'list', 'table', 'inet', 'keepalived'), 'the table we made is gone');
  });

  await t.test('nftables: in an existing chain only our rule is removed', async (t) => {
    sh('nft', 'add', 'table', 'inet', 'keepalived');
    sh(
      'nft',
      'add',
      'chain',
      'inet',
      'keepalived',
      'INPUT',
      '{ type filter hook input priority filter; policy accept; }',
    );
    sh('nft', 'add', 'rule', 'inet', 'keepalived', 'INPUT', 'tcp', 'dport', '22', 'accept');
    const rules = await addVrrpRule(options({ backend: 'nftables' }));
    t.equal(rules.added.length, 1);
    await rules.remove();
    const listing = sh('nft', 'list', 'chain', 'inet', 'keepalived', 'INPUT');
    t.match(listing, /tcp dport 22 accept/);
    t.notMatch(listing, /224\.0\.0\.18/);
    sh('nft', 'delete', 'table', 'inet', 'keepalived');
  });

  // The ruleset's tables, chains and rules, as nft lists them (one per line).
  const ruleset = () => {
    const lines = sh('nft', 'list', 'ruleset')
      .split('\n')
      .map((l) => l.trim());
    return {
      tables: lines.filter((l) => l.startsWith('table ')),
      chains: lines.filter((l) => l.startsWith('chain ')),
      rules: lines.filter((l) => /\b(accept|drop)\b/.test(l) && !l.startsWith('type ')),
    };
  };

  await t.test('nftables: a hostile config name is only ever the comment of our one rule', async (t) => {
    const names = [
      'x; add table inet evil; add chain inet evil c { type filter hook input priority 0; policy drop; }; #',
      'x } ; add rule inet keepalived INPUT drop ; #',
      "x' ; flush ruleset ; `reboot` $(reboot) #",
      'x\\ ; delete table inet keepalived',
      '-f /etc/passwd',
      'élan ☃',
    ];
    sh('nft', 'flush', 'ruleset'); // the iptables tests above left iptables-nft's tables: start from nothing
    for (const name of names) {
      const rules = await addVrrpRule(options({ backend: 'nftables', comment: `ipfailover ${name}` }));
      const after = ruleset();
      t.same(after.tables, ['table inet keepalived {'], `${JSON.stringify(name)}: one table`);
      t.equal(after.chains.length, 1, 'one chain');
      t.same(
        after.rules,
        [`ip daddr 224.0.0.18 accept comment "ipfailover ${name}"`],
        'one rule, the name verbatim in its comment',
      );
      await rules.remove();
      t.same(ruleset().tables, [], 'all gone after remove');
    }
  });

  await t.test('nftables: a config name nft cannot quote is refused and nothing is added', async (t) => {
    for (const name of ['x"; add table inet evil; #', 'x\n add table inet evil', 'x'.repeat(200)]) {
      await t.rejects(
        addVrrpRule(
          options({
            backend: 'nftables',
            comment: `ipfailover ${name}`,
            sources: { comment: 'OPENSHIFT_HA_CONFIG_NAME' },
          }),
        ),
        {
          name: 'FirewallValueError',
          message: /^OPENSHIFT_HA_CONFIG_NAME: /,
        },
      );
      t.same(
        ruleset(),
        { tables: [], chains: [], rules: [] },
        `${JSON.stringify(name.slice(0, 30))}: the ruleset is still empty`,
      );
    }
  });

  await t.test('nftables: "# handle N" in the comment does not choose the rule removed at exit', async (t) => {
    sh('nft', 'add', 'table', 'inet', 'keepalived');
    sh(
      'nft',
      'add',
      'chain',
      'inet',
      'keepalived',
      'INPUT',
      '{ type filter hook input priority filter; policy accept; }',
    );
    const theirs = sh('nft', '-e', '-a', 'add', 'rule', 'inet', 'keepalived', 'INPUT', 'tcp', 'dport', '22', 'accept');
    const handle = /# handle (\d+)/.exec(theirs)?.[1];
    t.ok(handle, 'the other rule has a handle');
    const rules = await addVrrpRule(options({ backend: 'nftables', comment: `ipfailover # handle ${handle}` }));
    t.equal(rules.added.length, 1);
    await rules.remove();
    t.same(ruleset().rules, ['tcp dport 22 accept'], 'the other rule stays, ours is gone');
    sh('nft', 'delete', 'table', 'inet', 'keepalived');
  });

  await t.test('iptables: a chain name iptables would take but nft could not is refused', async (t) => {
    sh('iptables', '-N', 'a;b');
    await t.rejects(
      addVrrpRule(options({ backend: 'iptables', chain: 'a;b', sources: { chain: 'OPENSHIFT_HA_IPTABLES_CHAIN' } })),
      {
        name: 'FirewallValueError',
        message: /^OPENSHIFT_HA_IPTABLES_CHAIN: chain name "a;b" is not a chain name/,
      },
    );
    t.equal(count(sh('iptables', '-S'), '224.0.0.18'), 0, 'no rule anywhere');
    sh('iptables', '-X', 'a;b');
  });

  await t.test('auto picks iptables when it is installed', async (t) => {
    const rules = await addVrrpRule(options({}));
    t.equal(rules.backend, 'iptables');
    await rules.remove();
    t.equal(count(sh('iptables', '-S', 'INPUT'), '224.0.0.18'), 0);
  });
});
