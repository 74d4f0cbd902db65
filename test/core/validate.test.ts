// Receive checks: RFC 3768 7.1, RFC 9568 7.1 and keepalived's unicast / own-packet checks.
// Every DropReason validateAdvert can return has a test here, named by the reason.
import t from 'tap';
import { validateAdvert } from '../../src/core/validate.js';
import { advertFor, v2Config, v3Config, v6Config } from './scenario.js';

const v2 = v2Config();
const v2pass = v2Config({ auth: { type: 'pass', password: 'secret-password' } });
const v3 = v3Config();

t.test('a well-formed advert passes every check (v2, v2 with password, v3, v3 over IPv6)', async (t) => {
  t.equal(validateAdvert(advertFor(v2), v2), undefined);
  t.equal(validateAdvert(advertFor(v2pass), v2pass), undefined);
  t.equal(validateAdvert(advertFor(v3), v3), undefined);
  const v6 = v6Config();
  t.equal(validateAdvert(advertFor(v6), v6), undefined);
});

// RFC 3768 7.1 / RFC 9568 7.1: MUST verify that the IP TTL / Hop Limit is 255.
t.test('drop ttl: multicast advert with TTL 254', async (t) => {
  t.equal(validateAdvert(advertFor(v2, { ttl: 254 }), v2), 'ttl');
  const v6 = v6Config();
  t.equal(validateAdvert(advertFor(v6, { ttl: 1 }), v6), 'ttl', 'IPv6 hop limit too');
});

// checkUnicastTtl: on by default; a keepalived.conf router has it off (keepalived 2.2.7 checks multicast only).
t.test('drop ttl: unicast advert checked per checkUnicastTtl', async (t) => {
  const checked = v2Config({ unicastPeers: ['192.0.2.20'], checkUnicastTtl: true });
  const unchecked = v2Config({ unicastPeers: ['192.0.2.20'], checkUnicastTtl: false });
  t.equal(validateAdvert(advertFor(checked, { ttl: 64, to: '192.0.2.10' }), checked), 'ttl');
  t.equal(validateAdvert(advertFor(unchecked, { ttl: 64, to: '192.0.2.10' }), unchecked), undefined);
  t.equal(validateAdvert(advertFor(unchecked, { ttl: 64 }), unchecked), 'ttl', 'multicast always checked');
});

// RFC 3768 7.1 / RFC 9568 7.1: MUST verify the VRRP version.
t.test('drop version-mismatch: v3 advert to a v2 router and the reverse', async (t) => {
  t.equal(validateAdvert(advertFor(v2, { version: 3 }), v2), 'version-mismatch');
  t.equal(validateAdvert(advertFor(v3, { version: 2 }), v3), 'version-mismatch');
});

t.test('drop family-mismatch: IPv6 advert to an IPv4 router', async (t) => {
  t.equal(validateAdvert(advertFor(v3, { family: 6, from: 'fe80::20', to: 'ff02::12' }), v3), 'family-mismatch');
});

// RFC 3768 7.1: MUST verify that the Auth Type matches the locally configured type.
t.test('drop auth-type-mismatch: v2 password expected, none received, and the reverse', async (t) => {
  t.equal(validateAdvert(advertFor(v2pass, { authType: 0 }), v2pass), 'auth-type-mismatch');
  t.equal(validateAdvert(advertFor(v2, { authType: 1, password: 'x' }), v2), 'auth-type-mismatch');
});

// RFC 3768 5.3.6/7.1: simple text password, only the first 8 bytes on the wire, zero padded.
t.test('drop auth-data-mismatch: wrong password; only the first 8 bytes count', async (t) => {
  t.equal(validateAdvert(advertFor(v2pass, { password: 'wrong' }), v2pass), 'auth-data-mismatch');
  t.equal(validateAdvert(advertFor(v2pass, { password: 'secret-p' }), v2pass), undefined, 'first 8 bytes equal');
  const short = v2Config({ auth: { type: 'pass', password: 'abc' } });
  t.equal(validateAdvert(advertFor(short, { password: 'abc' }), short), undefined, 'zero padded');
  t.equal(validateAdvert(advertFor(short, { password: 'abcd' }), short), 'auth-data-mismatch');
});

t.test('v3 ignores auth fields (RFC 9568 has no authentication)', async (t) => {
  t.equal(validateAdvert(advertFor(v3, { authType: 0 }), v3), undefined);
  // A v2 router drops these as auth-type-mismatch (PKT-16); a v3 one has no auth type to compare.
  for (const authType of [1, 2, 255])
    t.equal(validateAdvert(advertFor(v3, { authType }), v3), undefined, `auth type ${authType} accepted`);
  const v3pass = v3Config({ auth: { type: 'pass', password: 'secret' } });
  t.equal(
    validateAdvert(advertFor(v3pass, { authType: 0 }), v3pass),
    undefined,
    'a password configured on a v3 router is not asked for',
  );
});

// keepalived: our own multicast advert looped back is ignored.
t.test('drop own-packet: source is our primary address', async (t) => {
  t.equal(validateAdvert(advertFor(v2, { from: '192.0.2.10' }), v2), 'own-packet');
});

// keepalived unicast mode: only configured peers are accepted.
t.test('drop unknown-unicast-source: source not in unicastPeers', async (t) => {
  const unicast = v2Config({ unicastPeers: ['192.0.2.20', '192.0.2.21'] });
  t.equal(
    validateAdvert(advertFor(unicast, { from: '192.0.2.99', to: '192.0.2.10' }), unicast),
    'unknown-unicast-source',
  );
  t.equal(validateAdvert(advertFor(unicast, { from: '192.0.2.21', to: '192.0.2.10' }), unicast), undefined);
});

t.test('drop zero-address-count: an advert with no addresses', async (t) => {
  t.equal(validateAdvert(advertFor(v2, { addresses: [] }), v2), 'zero-address-count');
  t.equal(validateAdvert(advertFor(v3, { addresses: [] }), v3), 'zero-address-count');
});

t.test('drop zero-interval: an advert with interval 0', async (t) => {
  t.equal(validateAdvert(advertFor(v2, { intervalCs: 0 }), v2), 'zero-interval');
  t.equal(validateAdvert(advertFor(v3, { intervalCs: 0 }), v3), 'zero-interval');
});

// RFC 3768 7.1: MUST verify that the Adver Interval matches the locally configured one (else discard).
t.test('drop interval-mismatch: v2 advert with another interval', async (t) => {
  t.equal(validateAdvert(advertFor(v2, { intervalCs: 200 }), v2), 'interval-mismatch');
});

// RFC 9568 7.1 / 6.4.2: a v3 interval mismatch is not a drop (the Backup adopts it).
t.test('v3 interval mismatch is accepted', async (t) => {
  t.equal(validateAdvert(advertFor(v3, { intervalCs: 200 }), v3), undefined);
});

// RFC 3768 7.1: MAY drop on address-list mismatch (keepalived: only in strict mode).
t.test('drop address-list-mismatch only when strictAddressList', async (t) => {
  const strict = v2Config({ strictAddressList: true, virtualAddresses: ['192.0.2.100', '192.0.2.101'] });
  t.equal(validateAdvert(advertFor(strict, { addresses: ['192.0.2.100'] }), strict), 'address-list-mismatch');
  t.equal(
    validateAdvert(advertFor(strict, { addresses: ['192.0.2.100', '192.0.2.102'] }), strict),
    'address-list-mismatch',
  );
  t.equal(
    validateAdvert(advertFor(strict, { addresses: ['192.0.2.101', '192.0.2.100'] }), strict),
    undefined,
    'order does not matter',
  );
  t.equal(validateAdvert(advertFor(v2, { addresses: ['192.0.2.200'] }), v2), undefined, 'not strict: accepted');
  // RFC 3768 7.1: "If the packet was not generated by the address owner ... MUST drop": the owner's is kept.
  t.equal(
    validateAdvert(advertFor(strict, { addresses: ['192.0.2.100'], priority: 255 }), strict),
    undefined,
    'the owner is heard anyway',
  );
});

t.test('check order: TTL before version before auth before contents', async (t) => {
  t.equal(validateAdvert(advertFor(v2pass, { ttl: 1, version: 3, password: 'bad', intervalCs: 0 }), v2pass), 'ttl');
  t.equal(
    validateAdvert(advertFor(v2pass, { version: 3, password: 'bad', intervalCs: 0 }), v2pass),
    'version-mismatch',
  );
  t.equal(validateAdvert(advertFor(v2pass, { password: 'bad', intervalCs: 0 }), v2pass), 'auth-data-mismatch');
});
