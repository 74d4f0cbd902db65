// vrrp-explain: reads a tcpdump capture of a VRRP LAN and says, per virtual router, who was Master
// when and why, as the real core decides it (src/explain).

import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import {
  CaptureFormatError,
  explainCapture,
  explanationPicture,
  formatExplanation,
  type Explanation,
} from '../explain/index.js';

const HELP = `usage: vrrp-explain [--json] [--svg FILE] [--vrid N] CAPTURE

Reads a capture (pcap or pcapng; Ethernet, Linux cooked SLL/SLL2 or raw IP; IPv4 and IPv6) of a VRRP
LAN, keepalived's or ours, e.g. from
  tcpdump -i eth0 -w lan.pcap 'ip proto 112 or ip6 proto 112 or arp or icmp6'
and prints per virtual router: who was Master when; each election and its cause (down timer after N
missed adverts, priority 0, preemption, address tie-break), as vrrp-engine's core decides it from the
same adverts; adverts late against their interval; two Masters at once; peers that disagree (interval,
version, VIPs, authentication, checksum form); VIP moves seen in ARP / NA with the delay from the new
Master's first advert. Times are seconds since the first frame.

options:
  --json       the explanation as JSON instead of text
  --svg FILE   also write the timeline picture (as vrrp-sim draws it)
  --vrid N     only this VRID
  --help       this text

exit status: 0 explained (also with a damaged tail, which is reported), 2 bad usage or not a capture`;

interface Options {
  file: string | undefined;
  json: boolean;
  svg: string | undefined;
  vrid: number | undefined;
  help: boolean;
}

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { file: undefined, json: false, svg: undefined, vrid: undefined, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new UsageError(`${arg} needs a value`);
      return next;
    };
    if (arg === '--json') options.json = true;
    else if (arg === '--svg') options.svg = value();
    else if (arg === '--vrid') {
      const text = value();
      const vrid = Number(text);
      if (!Number.isInteger(vrid) || vrid < 1 || vrid > 255) throw new UsageError(`--vrid wants 1..255, got ${text}`);
      options.vrid = vrid;
    } else if (arg === '--help' || arg === '-h') options.help = true;
    else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
    else if (options.file !== undefined) throw new UsageError(`one capture at a time (got ${options.file} and ${arg})`);
    else options.file = arg;
  }
  if (!options.help && options.file === undefined) throw new UsageError('which capture? (vrrp-explain CAPTURE)');
  return options;
}

export function main(argv: readonly string[]): number {
  let options: Options;
  let explanation: Explanation;
  try {
    options = parseArgs(argv);
    if (options.help) {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(options.file!);
    } catch (error) {
      throw new UsageError(`cannot read ${options.file}: ${(error as Error).message}`);
    }
    explanation = explainCapture(bytes);
  } catch (error) {
    if (error instanceof UsageError || error instanceof CaptureFormatError) {
      process.stderr.write(`vrrp-explain: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (options.vrid !== undefined) {
    const vrid = options.vrid;
    explanation = { ...explanation, groups: explanation.groups.filter((g) => g.vrid === vrid) };
  }
  const name = basename(options.file!);
  process.stdout.write(
    options.json ? `${JSON.stringify(explanation, null, 2)}\n` : formatExplanation(explanation, name),
  );
  if (options.svg !== undefined) {
    writeFileSync(options.svg, explanationPicture(explanation, name));
    if (!options.json) process.stdout.write(`picture: ${options.svg}\n`);
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));
