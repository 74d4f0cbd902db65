// The accept-mode firewall's keywords (nftables, nftables_priority, nftables_counters,
// nftables_ifindex, vrrp_iptables, vrrp_ipsets) -> LinuxEngineInput.nftables, as keepalived 2.2.7's
// global_parser.c reads them in Debian's build (nftables, no iptables, no libipset); the JSON
// `nftables` object's checks; what a reload may change.
import t from 'tap';
import { KeepalivedConfigError, parseKeepalivedConfig } from '../../src/config/keepalived/index.js';
import { ConfigError } from '../../src/model/config-error.js';
import { checkNftables, nftablesReloadChange, nftablesSettings } from '../../src/model/nftables.js';
import { checkInput } from '../../src/daemon/check-input.js';
import type { LinuxEngineInput } from '../../src/model/runtime-input.js';

const INSTANCE = 'vrrp_instance VI_1 {\ninterface eth0\nvirtual_router_id 51\nvirtual_ipaddress {\n192.0.2.100\n}\n}\n';

/** The file: global_defs with `lines` from line 2, then one instance. */
function file(...lines: string[]): string {
  return `global_defs {\n${lines.join('\n')}\n}\n${INSTANCE}`;
}

function read(...lines: string[]) {
  const parsed = parseKeepalivedConfig(file(...lines), 'k.conf');
  return { nftables: parsed.input.nftables, diagnostics: parsed.diagnostics };
}

/** What `run` throws (undefined if it returns). */
function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

const KEEPALIVED = { table: 'keepalived', priority: -1, counters: false, ifindex: false };

t.test('no keyword: keepalived still names its table keepalived, priority -1', async (t) => {
  t.same(read('vrrp_strict'), { nftables: KEEPALIVED, diagnostics: [] });
});

t.test('nftables [NAME]: the table, and the priority back to -1', async (t) => {
  t.same(read('nftables'), { nftables: KEEPALIVED, diagnostics: [] }, 'no name: keepalived');
  t.same(read('nftables fw_1').nftables, { ...KEEPALIVED, table: 'fw_1' });
  t.same(
    read('nftables_priority 5', 'nftables fw').nftables,
    { ...KEEPALIVED, table: 'fw' },
    'nftables after the priority resets it',
  );
  t.same(read('nftables fw', 'nftables_priority -300').nftables, { ...KEEPALIVED, table: 'fw', priority: -300 });
  // A name nft's script syntax could not take is data here: it goes to nft as a JSON string.
  t.same(read('nftables "a b; flush ruleset"').nftables?.table, 'a b; flush ruleset');

  const twice = read('nftables one', 'nftables two');
  t.equal(twice.nftables?.table, 'one', 'a second nftables is ignored, as keepalived ignores it');
  t.match(twice.diagnostics, [
    { severity: 'warning', line: 3, message: /nftables: the table was already set at k\.conf:2; this one is ignored/ },
  ]);

  const long = read(`nftables ${'n'.repeat(256)}`);
  t.same(long.nftables, KEEPALIVED, 'a name of 256 bytes is ignored (keepalived: NFT_TABLE_MAXNAMELEN)');
  t.match(long.diagnostics, [{ severity: 'warning', line: 2, message: /at most 255 bytes, got 256; ignored/ }]);
  t.equal(read(`nftables ${'n'.repeat(255)}`).nftables?.table, 'n'.repeat(255), '255 bytes are taken');
});

t.test('nftables_priority, nftables_counters, nftables_ifindex', async (t) => {
  t.same(read('nftables_priority -2147483648').nftables, { ...KEEPALIVED, priority: -2147483648 });
  t.same(read('nftables_priority 2147483647').nftables, { ...KEEPALIVED, priority: 2147483647 });
  t.same(read('nftables_counters', 'nftables_ifindex').nftables, { ...KEEPALIVED, counters: true, ifindex: true });
  for (const bad of ['2147483648', 'high', '1.5']) {
    const error = thrown(() => read(`nftables_priority ${bad}`));
    t.ok(
      error instanceof KeepalivedConfigError &&
        error.diagnostics.some((d) => d.line === 2 && /nftables_priority must be a whole number/.test(d.message)),
      `nftables_priority ${bad}: an error at its line`,
    );
  }
});

t.test('vrrp_iptables: nftables with keepalived table and priority -1, with a warning', async (t) => {
  const plain = read('nftables_priority 7', 'vrrp_iptables');
  t.same(plain.nftables, KEEPALIVED, 'priority back to -1');
  t.match(plain.diagnostics, [
    {
      severity: 'warning',
      line: 3,
      message: /has no iptables and uses nftables instead \(table keepalived, priority -1\)/,
    },
  ]);
  t.same(read('vrrp_iptables IN OUT').nftables, KEEPALIVED, 'chain names are ignored');
  t.equal(read('nftables fw', 'vrrp_iptables').nftables?.table, 'keepalived', 'it overrides an earlier nftables');
  const after = read('vrrp_iptables', 'nftables fw');
  t.equal(after.nftables?.table, 'keepalived', 'a later nftables is ignored ("already specified")');
  t.match(after.diagnostics[1], { severity: 'warning', line: 3, message: /already set at k\.conf:2/ });
});

t.test('vrrp_ipsets: ignored with a warning, as keepalived without libipset ignores it', async (t) => {
  const ipsets = read('vrrp_ipsets keepalived keepalived6');
  t.same(ipsets.nftables, KEEPALIVED);
  t.match(ipsets.diagnostics, [
    { severity: 'warning', line: 2, message: /^vrrp_ipsets is ignored: keepalived 2\.2\.7 built without ipset/ },
  ]);
});

t.test('JSON nftables: checked by checkInput, every mistake names its field', async (t) => {
  const router = { name: 'VI_1', interface: 'eth0', vrid: 1, family: 4 as const, virtualAddresses: ['192.0.2.1'] };
  const input = (nftables: unknown): LinuxEngineInput =>
    ({ routers: [{ ...router, primaryAddress: '192.0.2.2' }], nftables }) as LinuxEngineInput;
  t.doesNotThrow(() => checkInput(input({ table: 'fw', priority: -150, counters: true, ifindex: false })));
  t.match(
    thrown(() => checkInput(input({ table: '' }))),
    { field: 'nftables.table' },
    'checkInput runs the check',
  );
  for (const [value, field, message] of [
    [[], 'nftables', /must be an object/],
    [{ tabel: 'x' }, 'nftables.tabel', /unknown field/],
    [{ table: '' }, 'nftables.table', /must not be empty/],
    [{ table: 'x'.repeat(256) }, 'nftables.table', /at most 255 bytes/],
    [{ table: 'a\0b' }, 'nftables.table', /NUL/],
    [{ table: 5 }, 'nftables.table', /must be a string/],
    [{ priority: 1.5 }, 'nftables.priority', /must be an integer/],
    [{ priority: 2 ** 31 }, 'nftables.priority', /must be an integer/],
    [{ counters: 'yes' }, 'nftables.counters', /true or false/],
    [{ ifindex: 1 }, 'nftables.ifindex', /true or false/],
  ] as const) {
    const error = thrown(() => checkNftables(value));
    t.ok(
      error instanceof ConfigError && error.field === field && message.test(error.message),
      `${JSON.stringify(value).slice(0, 40)}: ${field} (${String(error)})`,
    );
  }
  t.same(nftablesSettings(undefined), { table: 'vrrp_engine_accept', priority: -1, counters: false, ifindex: false });
});

t.test('a reload: a new table name is refused (as keepalived does), the rest waits for a restart', async (t) => {
  t.equal(nftablesReloadChange(KEEPALIVED, KEEPALIVED), 'none');
  t.equal(nftablesReloadChange(KEEPALIVED, { ...KEEPALIVED, table: 'other' }), 'table');
  t.equal(nftablesReloadChange(KEEPALIVED, { ...KEEPALIVED, priority: 10 }), 'settings');
  t.equal(nftablesReloadChange(KEEPALIVED, { ...KEEPALIVED, counters: true }), 'settings');
  t.equal(nftablesReloadChange(undefined, {}), 'none', 'defaults on both sides');
});
