// Reading the values of keepalived statements: counts, numbers, seconds, addresses. Each reader
// reports a mistake at the statement's line and returns undefined, so mapping goes on and every
// mistake in a file is listed in one run.

import ipaddr from 'ipaddr.js';
import type { DiagnosticList } from './diagnostics.js';
import type { Statement, Word } from './parser.js';

/** Linux interface names (and IPv4 labels) are at most IFNAMSIZ - 1 bytes. */
export const MAX_INTERFACE_NAME = 15;

/** The single argument of `keyword VALUE`; reports a missing or extra one. */
export function singleArg(statement: Statement, diagnostics: DiagnosticList): Word | undefined {
  if (statement.args.length !== 1) {
    diagnostics.error(statement, `${statement.keyword} takes one value, got ${statement.args.length}`);
    return undefined;
  }
  return statement.args[0];
}

/** A keyword that takes no value (nopreempt, vrrp_strict, ...). */
export function noArgs(statement: Statement, diagnostics: DiagnosticList): boolean {
  if (statement.args.length === 0) return true;
  diagnostics.error(
    statement,
    `${statement.keyword} takes no value, got "${statement.args.map((w) => w.text).join(' ')}"`,
  );
  return false;
}

export function readInteger(
  statement: Statement,
  min: number,
  max: number,
  diagnostics: DiagnosticList,
): number | undefined {
  const word = singleArg(statement, diagnostics);
  if (!word) return undefined;
  return integerValue(word, statement.keyword, min, max, diagnostics);
}

export function integerValue(
  word: Word,
  what: string,
  min: number,
  max: number,
  diagnostics: DiagnosticList,
): number | undefined {
  const value = /^[+-]?\d+$/.test(word.text) ? Number(word.text) : NaN;
  if (!Number.isInteger(value) || value < min || value > max) {
    diagnostics.error(word, `${what} must be a whole number from ${min} to ${max}, got "${word.text}"`);
    return undefined;
  }
  return value;
}

/** A decimal number of seconds (keepalived accepts fractions where it says so), as a float. */
export function readSeconds(
  statement: Statement,
  min: number,
  max: number,
  diagnostics: DiagnosticList,
): number | undefined {
  const word = singleArg(statement, diagnostics);
  if (!word) return undefined;
  const value = /^\d+(\.\d+)?$|^\.\d+$/.test(word.text) ? Number(word.text) : NaN;
  if (Number.isNaN(value) || value < min || value > max) {
    diagnostics.error(
      word,
      `${statement.keyword} must be a number of seconds from ${min} to ${max}, got "${word.text}"`,
    );
    return undefined;
  }
  return value;
}

/** keepalived's boolean options: nothing (true), or on/off, true/false, yes/no. */
export function readFlag(statement: Statement, diagnostics: DiagnosticList): boolean | undefined {
  if (statement.args.length === 0) return true;
  const word = singleArg(statement, diagnostics);
  if (!word) return undefined;
  const text = word.text.toLowerCase();
  if (['on', 'true', 'yes'].includes(text)) return true;
  if (['off', 'false', 'no'].includes(text)) return false;
  diagnostics.error(word, `${statement.keyword} takes on/off, true/false or yes/no, got "${word.text}"`);
  return undefined;
}

export interface ParsedAddress {
  readonly address: string;
  readonly family: 4 | 6;
  readonly prefixLength?: number;
}

/** `ADDR` or `ADDR/PREFIX`, canonical text form; undefined (reported) if it is not one. */
export function readAddress(
  word: Word,
  what: string,
  diagnostics: DiagnosticList,
  allowPrefix = false,
): ParsedAddress | undefined {
  const [text, prefix, extra] = word.text.split('/');
  if (extra !== undefined || (prefix !== undefined && !allowPrefix) || !ipaddr.isValid(text!)) {
    diagnostics.error(word, `${what}: "${word.text}" is not an ${allowPrefix ? 'IP address[/prefix]' : 'IP address'}`);
    return undefined;
  }
  const parsed = ipaddr.parse(text!);
  // ipaddr.js also takes "10" or "0x0a.1" as IPv4; keepalived (inet_pton) takes dotted quads only.
  if (parsed.kind() === 'ipv4' && !ipaddr.IPv4.isValidFourPartDecimal(text!)) {
    diagnostics.error(word, `${what}: "${word.text}" is not a dotted-quad IPv4 address`);
    return undefined;
  }
  const family = parsed.kind() === 'ipv4' ? 4 : 6;
  if (prefix === undefined) return { address: parsed.toString(), family };
  const max = family === 4 ? 32 : 128;
  const length = /^\d+$/.test(prefix) ? Number(prefix) : NaN;
  if (!(length >= 0 && length <= max)) {
    diagnostics.error(word, `${what}: prefix length "${prefix}" must be 0..${max}`);
    return undefined;
  }
  return { address: parsed.toString(), family, prefixLength: length };
}
