// interface_up_down_delays as the keepalived.conf reader maps it (src/config/keepalived/link-delays.ts):
// per interface a down and an up delay in ms, keepalived 2.2.7's reading (no up delay: 0; a bad line
// warned and ignored; the later line wins), cut below (down_timer_adverts - 1) x advert_int as
// keepalived's check_debounce_timers does. The JSON form's checks: checkLinkDelays.
import t from 'tap';
import { KeepalivedConfigError, parseKeepalivedConfig } from '../../src/config/keepalived/index.js';
import { checkLinkDelays } from '../../src/model/link-delays.js';

const INSTANCE = (extra = '', iface = 'eth0') =>
  `vrrp_instance VI_1 {\ninterface ${iface}\nvirtual_router_id 51\nvirtual_ipaddress {\n192.0.2.51/24\n}\n${extra}}\n`;

function read(text: string) {
  const { input, diagnostics } = parseKeepalivedConfig(text, 'k.conf');
  const warnings = diagnostics.filter((d) => d.severity === 'warning').map((d) => `${d.line}: ${d.message}`);
  return { delays: input.linkDelays, warnings };
}

t.test('each line: down and up delays in ms; no up delay is 0 (keepalived 2.2.7 code)', async (t) => {
  const { delays, warnings } = read(
    `interface_up_down_delays {\neth0 1.5 0.25\neth1 0.000010\n}\n${INSTANCE('advert_int 5\n')}`,
  );
  t.same(delays, { eth0: { downMs: 1500, upMs: 250 }, eth1: { downMs: 0.01, upMs: 0 } });
  t.same(warnings, []);
});

t.test('more than 6 decimals: rounded at the 7th, with a warning (keepalived read_timer)', async (t) => {
  const { delays, warnings } = read(`interface_up_down_delays {\neth0 1.0000015 .5\n}\n${INSTANCE('advert_int 5\n')}`);
  t.same(delays, { eth0: { downMs: 1000.002, upMs: 500 } });
  t.match(warnings, [/^2: .*"1.0000015" has more than 6 decimals: rounded/]);
});

t.test('absent or all zero: no linkDelays at all (routers move at once, as before)', async (t) => {
  t.equal(read(INSTANCE()).delays, undefined);
  t.equal(read(`interface_up_down_delays {\neth0 0 0\n}\n${INSTANCE()}`).delays, undefined);
});

t.test('lines keepalived only logs about: warned and ignored; the later line wins', async (t) => {
  const { delays, warnings } = read(
    `interface_up_down_delays {\neth0\neth1 x 1\neth2 256\neth3 1 1 9\neth3 1.2\n}\n${INSTANCE('advert_int 5\n')}`,
  );
  t.same(delays, { eth3: { downMs: 1200, upMs: 0 } });
  t.equal(warnings.length, 4, warnings.join('\n'));
  t.match(warnings[0], /^2: .*no delay for eth0/);
  t.match(warnings[1], /^3: .*"x" is not a delay/);
  t.match(warnings[2], /^4: .*"256" is not a delay/);
  t.match(warnings[3], /^5: .*words after the up delay/);
});

t.test('a delay not below (down_timer_adverts - 1) x advert_int is cut, as keepalived does', async (t) => {
  // advert_int 1 s, down_timer_adverts 3: the limit is 2 s, cut to 2 s - 1/256 s (3906 µs).
  const cut = read(`interface_up_down_delays {\neth0 5 1\n}\n${INSTANCE()}`);
  t.same(cut.delays, { eth0: { downMs: 1996.094, upMs: 1000 } });
  t.match(cut.warnings, [/not below \(down_timer_adverts - 1\) x advert_int of instance VI_1/]);
  const one = read(`interface_up_down_delays {\neth0 0.5 0.5\n}\n${INSTANCE('down_timer_adverts 1\n')}`);
  t.equal(one.delays, undefined, 'down_timer_adverts 1: no delay');
  t.match(one.warnings, [/down_timer_adverts 1/]);
  const other = read(`interface_up_down_delays {\neth1 5\n}\n${INSTANCE()}`);
  t.same(other.delays, { eth1: { downMs: 5000, upMs: 0 } }, 'an interface without an instance is not cut');
});

t.test('a bad interface name is an error', async (t) => {
  t.throws(
    () => parseKeepalivedConfig(`interface_up_down_delays {\neth0/x 1\n}\n${INSTANCE()}`, 'k.conf'),
    KeepalivedConfigError,
  );
});

t.test('JSON linkDelays: checked field by field', async (t) => {
  checkLinkDelays({ eth0: { downMs: 500, upMs: 0 } });
  t.throws(() => checkLinkDelays([]), /linkDelays/);
  t.throws(() => checkLinkDelays({ eth0: { downMs: -1, upMs: 0 } }), /linkDelays\.eth0\.downMs/);
  t.throws(() => checkLinkDelays({ eth0: { downMs: 1, upMs: 255_001 } }), /linkDelays\.eth0\.upMs/);
  t.throws(() => checkLinkDelays({ eth0: { downMs: 1 } }), /linkDelays\.eth0\.upMs/);
  t.throws(() => checkLinkDelays({ eth0: { downMs: 1, upMs: 1, later: 1 } }), /linkDelays\.eth0\.later/);
  t.throws(() => checkLinkDelays({ 'a b': { downMs: 1, upMs: 1 } }), /not an interface name/);
});
