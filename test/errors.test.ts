import t from 'tap';
import { inspect } from 'node:util';
import { asCodedError, codedError, ConfigurationError, errorCode, hasCode } from '../src/errors.js';
import { ConfigError } from '../src/model/config-error.js';
import { KeepalivedConfigError, type ConfigDiagnostic } from '../src/config/keepalived/index.js';
import { ConfigLoadError } from '../src/cli/config-source.js';
import { EnvError } from '../src/openshift/errors.js';
import { FirewallValueError } from '../src/openshift/firewall.js';

t.test('hasCode: an Error with a string code, and that code when one is asked for', async (t) => {
  const enodev = codedError('ENODEV', 'no such device');
  t.ok(hasCode(enodev));
  t.ok(hasCode(enodev, 'ENODEV'));
  t.notOk(hasCode(enodev, 'EEXIST'));
  t.notOk(hasCode(new Error('plain')), 'an Error without a code');
  t.notOk(hasCode(Object.assign(new Error('numeric'), { code: 5 })), 'a code that is not a string');
  t.notOk(hasCode({ code: 'ENODEV', message: 'not an Error' }, 'ENODEV'), 'an object that is not an Error');
  for (const thrown of [undefined, null, 'ENODEV', 19]) t.notOk(hasCode(thrown), `thrown ${String(thrown)}`);
});

t.test('errorCode reads the code of a coded error, else undefined', async (t) => {
  t.equal(errorCode(codedError('EAGAIN', 'try again')), 'EAGAIN');
  t.equal(errorCode(new Error('plain')), undefined);
  t.equal(errorCode('EAGAIN'), undefined);
});

t.test('codedError keeps the message as given; asCodedError keeps a coded error and wraps anything else', async (t) => {
  const error = codedError('EINVAL', 'not an IPv4 or IPv6 address: x');
  t.equal(error.message, 'not an IPv4 or IPv6 address: x');
  t.equal(error.code, 'EINVAL');
  t.ok(error instanceof Error);
  t.equal(asCodedError(error, 'ENETLINK'), error, 'a coded error passes through as it is');
  const plain = new Error('socket closed');
  const wrapped = asCodedError(plain, 'ENETLINK');
  t.equal(wrapped.code, 'ENETLINK');
  t.equal(wrapped.message, 'socket closed');
  t.equal(wrapped.cause, plain);
  t.equal(asCodedError('text thrown', 'ETIMEDOUT').message, 'text thrown');
});

const diagnostics: ConfigDiagnostic[] = [
  { severity: 'warning', file: '/etc/keepalived/keepalived.conf', line: 2, message: 'unknown keyword' },
  {
    severity: 'error',
    file: '/etc/keepalived/conf.d/vi_1.conf',
    line: 7,
    message: 'virtual_router_id 300 is out of range',
  },
];

t.test('every configuration error is a ConfigurationError, with its own name and message', async (t) => {
  const cases: [ConfigurationError, string, string][] = [
    [new ConfigError('routers[0].vrid', 'must be 1..255'), 'ConfigError', 'routers[0].vrid: must be 1..255'],
    [
      new EnvError('OPENSHIFT_HA_VRRP_ID_OFFSET', 'x', 'a whole number'),
      'EnvError',
      'OPENSHIFT_HA_VRRP_ID_OFFSET: "x" is not valid: a whole number',
    ],
    [
      new FirewallValueError('OPENSHIFT_HA_IPTABLES_CHAIN', 'chain', '-j', 'starts with "-"'),
      'FirewallValueError',
      'OPENSHIFT_HA_IPTABLES_CHAIN: chain "-j" starts with "-"; no firewall command was run',
    ],
    [
      new KeepalivedConfigError(diagnostics),
      'KeepalivedConfigError',
      '1 error(s) in keepalived configuration:\n/etc/keepalived/conf.d/vi_1.conf:7: error: virtual_router_id 300 is out of range',
    ],
    [
      new ConfigLoadError(diagnostics),
      'ConfigLoadError',
      '/etc/keepalived/conf.d/vi_1.conf:7: error: virtual_router_id 300 is out of range',
    ],
  ];
  for (const [error, name, message] of cases) {
    t.ok(error instanceof ConfigurationError, `${name} is a ConfigurationError`);
    t.equal(error.name, name);
    t.equal(error.message, message);
    t.equal(String(error), `${name}: ${message}`);
  }
  t.ok(
    new EnvError('OPENSHIFT_HA_VIPS', undefined, 'a list') instanceof ConfigError,
    'EnvError is still a ConfigError',
  );
});

t.test('where: field for a field, file and line of the first error for a file, nothing left undefined', async (t) => {
  const field = new ConfigError('routers[2].vrid', 'must be 1..255');
  t.same(Object.keys(field), ['field', 'name'], 'own properties as before the base class');
  t.equal(field.field, 'routers[2].vrid');
  t.notOk('file' in field || 'line' in field, 'no file or line it does not know');
  const env = new EnvError('OPENSHIFT_HA_VIPS', 'x', 'a list');
  t.same(Object.keys(env), ['field', 'name', 'variable', 'value']);

  const keepalived = new KeepalivedConfigError(diagnostics);
  t.equal(keepalived.file, '/etc/keepalived/conf.d/vi_1.conf');
  t.equal(keepalived.line, 7);
  t.notOk('field' in keepalived);

  const noLine = new ConfigLoadError([
    { severity: 'error', file: '/etc/vrrp.json', line: 0, message: 'must hold a JSON object' },
  ]);
  t.equal(noLine.file, '/etc/vrrp.json');
  t.notOk('line' in noLine, 'line 0 means no line, so none is set');
  const refused = new ConfigLoadError([]);
  t.equal(refused.message, 'configuration refused');
  t.same(Object.keys(refused), ['diagnostics', 'name']);
  t.notMatch(inspect(refused), /undefined/, 'a logged error shows no empty places');
});
