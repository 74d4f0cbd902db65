// Values of a vrrp_instance read one statement at a time (instance.ts reads the block): use_vmac's
// name, state, advert_int and the authentication block, with keepalived 2.2.7's meaning.

import type { AuthConfig } from '../../core/types.js';
import type { DiagnosticList, SourcePosition } from './diagnostics.js';
import { reportUnmapped } from './keywords.js';
import type { Statement } from './parser.js';
import { MAX_INTERFACE_NAME, readSeconds, singleArg } from './values.js';

export function readUseVmac(
  statement: Statement | undefined,
  diagnostics: DiagnosticList,
): boolean | string | undefined {
  if (!statement) return undefined;
  if (statement.args.length === 0) return true;
  const word = singleArg(statement, diagnostics);
  if (!word) return undefined;
  if (word.text.length > MAX_INTERFACE_NAME) {
    diagnostics.error(word, `use_vmac name "${word.text}" is longer than ${MAX_INTERFACE_NAME} characters`);
    return undefined;
  }
  return word.text;
}

export function readState(statement: Statement, diagnostics: DiagnosticList): 'Master' | 'Backup' | undefined {
  const word = singleArg(statement, diagnostics);
  if (!word) return undefined;
  if (word.text === 'MASTER') return 'Master';
  if (word.text === 'BACKUP') return 'Backup';
  diagnostics.error(word, `state must be MASTER or BACKUP, got "${word.text}"`);
  return undefined;
}

export function readAdvertInterval(
  statement: Statement | undefined,
  version: 2 | 3,
  diagnostics: DiagnosticList,
): number | undefined {
  if (!statement) return undefined;
  if (version === 2) {
    const seconds = readSeconds(statement, 0.01, 255, diagnostics);
    if (seconds === undefined) return undefined;
    if (!Number.isInteger(seconds)) {
      diagnostics.error(
        statement,
        `advert_int ${seconds}: VRRPv2 advertises whole seconds (keepalived rounds it and reports an error); use "version 3" for fractions`,
      );
      return undefined;
    }
    return seconds * 100;
  }
  const seconds = readSeconds(statement, 0.01, 40.95, diagnostics);
  if (seconds === undefined) return undefined;
  const cs = Math.round(seconds * 100);
  if (Math.abs(cs - seconds * 100) > 1e-6) {
    diagnostics.warning(statement, `advert_int ${seconds}: VRRPv3 carries centiseconds; ${cs / 100} s is used`);
  }
  return cs;
}

export function readAuthentication(block: Statement, diagnostics: DiagnosticList): AuthConfig | undefined {
  let type: string | undefined;
  let password: string | undefined;
  let passAt: SourcePosition | undefined;
  for (const child of block.block ?? []) {
    if (child.keyword === 'auth_type') {
      const word = singleArg(child, diagnostics);
      if (word?.text === 'PASS') type = 'PASS';
      else if (word?.text === 'AH')
        diagnostics.error(
          word,
          "auth_type AH is not supported: IPsec AH was removed from VRRP by RFC 3768 (keepalived's AH is not interoperable)",
        );
      else if (word) diagnostics.error(word, `auth_type must be PASS or AH, got "${word.text}"`);
    } else if (child.keyword === 'auth_pass') {
      const word = singleArg(child, diagnostics);
      if (word) {
        password = word.text;
        passAt = child;
        if (Buffer.byteLength(password) > 8) {
          diagnostics.warning(child, 'auth_pass is longer than 8 bytes: only the first 8 are used, as in keepalived');
          password = Buffer.from(password).subarray(0, 8).toString();
        }
      }
    } else {
      reportUnmapped('authentication', child, diagnostics);
    }
  }
  if (type !== 'PASS') return undefined;
  if (password === undefined || password === '') {
    diagnostics.error(passAt ?? block, 'auth_type PASS needs an auth_pass');
    return undefined;
  }
  return { type: 'pass', password };
}
