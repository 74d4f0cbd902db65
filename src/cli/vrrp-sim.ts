// vrrp-sim: runs the deterministic simulator from the command line. With no arguments it runs the
// embedded three-router failover scenario, prints its timeline and writes a picture (into a new
// temporary directory unless --out says where: never into the current directory unasked).

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { endQuietlyOnClosedOutput, Program } from './program.js';
import {
  defaultScenario,
  parseScenario,
  runSimulation,
  Simulation,
  wrapSvgInHtml,
  type Scenario,
  type SimulationResult,
} from '../sim/index.js';
import { parseRecording, replayReport } from '../sim/replay.js';

const HELP = `usage: vrrp-sim [options]

Runs VRRP routers (the real engine and codec) on simulated LANs under a virtual clock, injects faults,
and checks after every step: at most one Master per VRID per connected partition once a
Master_Down_Interval has passed since the last disturbance; VIPs held only by a Master; after healing,
exactly one Master per VRID (the highest priority when preempting) within the RFC bound.

options:
  --scenario FILE   scenario JSON (default: embedded "three-routers-master-killed")
  --seed N          seed for the random draws (faults, jitter, loss, clock drift); default 1
  --seeds A..B      run every seed from A to B and print a summary; the first failure is replayed in full
  --duration S      run for S virtual seconds instead of the scenario's duration
  --out FILE        where to write the run, in the format its extension names: .svg the picture,
                    .html a page holding it, .json the result (timeline, transitions, faults,
                    violation); default: timeline.svg in a new directory under the system's
                    temporary directory (its path is printed)
  --trace-adverts   put every advert sent and every drop on the timeline
  --check-arp       fail when, once calm, hosts still point a VIP at a node that is not its Master
                    (otherwise stale ARP views are only reported)
  --quiet           print only the summary
  --replay FILE     replay a flight recording (vrrpd's recording.json) through the same core and print
                    its transitions; exit 1 when they differ from the ones recorded
  --version         the version
  --help            this text

exit status: 0 all invariants held, 1 an invariant was violated, 2 bad usage or scenario`;

const program = new Program('vrrp-sim', HELP);

/** What --out may name, by extension. */
const OUTPUT_FORMATS = ['.svg', '.html', '.json'] as const;
type OutputFormat = (typeof OUTPUT_FORMATS)[number];

interface CliOptions {
  scenarioPath: string | undefined;
  seed: number;
  seeds: { from: number; to: number } | undefined;
  durationMs: number | undefined;
  out: string | undefined;
  traceAdverts: boolean;
  checkArp: boolean;
  quiet: boolean;
  replay: string | undefined;
  help: boolean;
  version: boolean;
}

class UsageError extends Error {}

/** The format --out names by its extension; any other is refused rather than written in the wrong format. */
function outputFormat(path: string): OutputFormat {
  const extension = extname(path).toLowerCase();
  const format = OUTPUT_FORMATS.find((known) => known === extension);
  if (format === undefined) {
    throw new UsageError(
      `--out ${path}: cannot tell the format from ${extension === '' ? 'a name without an extension' : `"${extension}"`}; use ${OUTPUT_FORMATS.join(', ')}`,
    );
  }
  return format;
}

/** `--seeds A..B`: a non-empty range of seeds. */
function seedRange(text: string, arg: string): { from: number; to: number } {
  const match = /^(\d+)\.\.(\d+)$/.exec(text);
  if (match === null) throw new UsageError(`--seeds wants A..B, got ${text}`);
  const from = seedNumber(match[1]!, arg);
  const to = seedNumber(match[2]!, arg);
  if (to < from) throw new UsageError(`--seeds ${text}: the range is empty`);
  return { from, to };
}

function parseArgs(argv: readonly string[]): CliOptions {
  const options: CliOptions = {
    scenarioPath: undefined,
    seed: 1,
    seeds: undefined,
    durationMs: undefined,
    out: undefined,
    traceAdverts: false,
    checkArp: false,
    quiet: false,
    replay: undefined,
    help: false,
    version: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new UsageError(`${arg} needs a value`);
      return next;
    };
    switch (arg) {
      case '--scenario':
        options.scenarioPath = value();
        break;
      case '--seed':
        options.seed = seedNumber(value(), arg);
        break;
      case '--seeds':
        options.seeds = seedRange(value(), arg);
        break;
      case '--duration': {
        const seconds = Number(value());
        if (!Number.isFinite(seconds) || seconds <= 0)
          throw new UsageError('--duration wants a positive number of seconds');
        options.durationMs = seconds * 1000;
        break;
      }
      case '--out':
        options.out = value();
        outputFormat(options.out);
        break;
      case '--replay':
        options.replay = value();
        break;
      case '--trace-adverts':
        options.traceAdverts = true;
        break;
      case '--check-arp':
        options.checkArp = true;
        break;
      case '--quiet':
        options.quiet = true;
        break;
      case '--help':
      case '-h':
        options.help = true;
        break;
      case '--version':
        options.version = true;
        break;
      default:
        throw new UsageError(`unknown argument ${arg}`);
    }
  }
  return options;
}

function seedNumber(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff)
    throw new UsageError(`${flag} wants a whole number 0..4294967295, got ${text}`);
  return n;
}

function loadScenario(path: string | undefined): Scenario {
  if (path === undefined) return defaultScenario();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read scenario ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`scenario ${path} is not JSON: ${(error as Error).message}`);
  }
  return parseScenario(json);
}

/** Writes the run where --out says, in the format of its extension; by default a new temporary directory's timeline.svg. */
function writePicture(result: SimulationResult, out: string | undefined): string {
  const path = out === undefined ? join(mkdtempSync(join(tmpdir(), 'vrrp-sim-')), 'timeline.svg') : resolve(out);
  const svg = result.svg ?? '';
  const format = outputFormat(path);
  const { svg: _svg, ...rest } = result;
  const text =
    format === '.html'
      ? wrapSvgInHtml(`vrrp-sim ${result.scenario} seed ${result.seed}`, svg)
      : format === '.json'
        ? `${JSON.stringify(rest, null, 2)}\n`
        : svg;
  writeFileSync(path, text);
  return path;
}

function runOne(scenario: Scenario, options: CliOptions, seed: number): SimulationResult {
  return runSimulation(scenario, {
    seed,
    ...(options.durationMs === undefined ? {} : { durationMs: options.durationMs }),
    ...(options.scenarioPath === undefined ? {} : { scenarioPath: options.scenarioPath }),
    traceAdverts: options.traceAdverts,
    checkArp: options.checkArp,
  });
}

/** --replay FILE: the recording's inputs through the core; 0 same transitions, 1 different, 2 unreadable. */
function replay(path: string): number {
  try {
    const report = replayReport(parseRecording(readFileSync(path, 'utf8')));
    process.stdout.write(`${report.text}\n`);
    return report.matches ? program.exit.ok : program.exit.failed;
  } catch (error) {
    program.say(`${path}: ${(error as Error).message}`);
    return program.exit.config;
  }
}

export function main(argv: readonly string[]): number {
  let options: CliOptions;
  let scenario: Scenario;
  try {
    options = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(program.usageLines(error.message));
    return program.exit.usage;
  }
  if (options.help || options.version) {
    process.stdout.write(`${options.help ? HELP : program.versionLine()}\n`);
    return program.exit.ok;
  }
  if (options.replay !== undefined) return replay(options.replay);
  try {
    scenario = loadScenario(options.scenarioPath);
    // Building the world checks every router configuration (keepalived's rules) before anything runs.
    new Simulation(scenario, { seed: options.seed });
  } catch (error) {
    program.say((error as Error).message);
    return program.exit.config;
  }

  if (options.seeds === undefined) {
    const result = runOne(scenario, options, options.seed);
    if (!options.quiet) process.stdout.write(`${result.timeline.join('\n')}\n`);
    const path = writePicture(result, options.out);
    process.stdout.write(`${outputFormat(path) === '.json' ? 'result' : 'picture'}: ${path}\n`);
    if (!result.ok) {
      process.stdout.write(
        `VIOLATION ${result.violation!.invariant}: ${result.violation!.message}\nreproduce with: ${result.reproduce}\n`,
      );
      return 1;
    }
    process.stdout.write(`ok: scenario "${result.scenario}" seed ${result.seed}: all invariants held\n`);
    return 0;
  }

  const { from, to } = options.seeds;
  const failures: SimulationResult[] = [];
  let staleArpSeeds = 0;
  for (let seed = from; seed <= to; seed++) {
    const result = runSimulation(scenario, {
      seed,
      timeline: false,
      picture: false,
      checkArp: options.checkArp,
      ...(options.durationMs === undefined ? {} : { durationMs: options.durationMs }),
      ...(options.scenarioPath === undefined ? {} : { scenarioPath: options.scenarioPath }),
    });
    if (result.staleArp.length > 0) staleArpSeeds++;
    if (!result.ok) {
      failures.push(result);
      process.stdout.write(
        `seed ${seed}: VIOLATION ${result.violation!.invariant} at ${(result.violation!.atMs / 1000).toFixed(3)}s: ${result.violation!.message}\n`,
      );
    } else if (!options.quiet) {
      process.stdout.write(
        `seed ${seed}: ok (${result.transitions.length} transitions, ${result.faults.length} faults)\n`,
      );
    }
  }
  const total = to - from + 1;
  process.stdout.write(
    `scenario "${scenario.name}": ${total} seeds, ${total - failures.length} ok, ${failures.length} violated` +
      `${staleArpSeeds > 0 ? `; ${staleArpSeeds} ended with hosts pointing a VIP at a non-Master (stale ARP)` : ''}\n`,
  );
  if (failures.length === 0) return 0;
  // Replay the first failure with its timeline and picture.
  const first = runOne(scenario, options, failures[0]!.seed);
  if (!options.quiet) process.stdout.write(`\nfirst failure, replayed:\n${first.timeline.join('\n')}\n`);
  process.stdout.write(`picture: ${writePicture(first, options.out)}\nreproduce with: ${first.reproduce}\n`);
  return 1;
}

endQuietlyOnClosedOutput();
process.exitCode = main(process.argv.slice(2));
