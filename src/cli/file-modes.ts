// keepalived's umask (global_defs `umask`, read by src/config/keepalived/umask.ts, and -u/--umask), as
// keepalived 2.2.7 applies it. keepalived sets its process umask to 0177 at start, then to -u's mask or,
// without -u, to the file's (the file's is ignored, with a log line, when -u is given; a reload whose
// file has none keeps the one in force). What that mask gives each file it makes:
// - dumps (.data, .stats, .json; lib/utils.c fopen_safe): 0666 less the mask, whatever the file was;
// - notify FIFOs (lib/notify.c: mkfifo 0644): 0644 less the mask;
// - pid files (core/pidfile.c): 0644 whatever the mask (it clears the mask's rw-r--r-- bits around open);
// - reload_file (core/main.c create_reload_file): 0644 less the mask, group and other read kept;
// - the -t report file (core/main.c, opened while the command line is read, before the file's umask):
//   0644 less -u's mask, or less 0177;
// - scripts and what they create, init_file's track files: the process umask itself.
// vrrpd does the same: the process umask is the mask (scripts inherit it), and the files it writes
// through private-files.ts get the modes above. vrrpd's own files keep their own modes (status socket
// 0600, /run/vrrpd 0700, the flight recording vrrpd.recording.json 0600: it holds the routers'
// passwords, and keepalived has no such file whose mode to follow).

import type { HealthPlan } from '../model/health-plan.js';
import type { RuntimeLogger } from '../model/logger.js';
import type { ReloadFileModes } from './reload-files.js';

/** keepalived's umask before any -u or file sets one: the files it makes come out 0600. */
export const KEEPALIVED_DEFAULT_UMASK = 0o177;

const RW_ALL = 0o666;
const RW_R_R = 0o644;
const GROUP_OTHER_READ = 0o044;

/** The modes of the files made under `mask` (see above). */
export function modesUnder(mask: number) {
  return {
    dump: RW_ALL & ~mask,
    fifo: RW_R_R & ~mask,
    pidFile: RW_R_R,
    reloadFile: RW_R_R & ~(mask & ~GROUP_OTHER_READ),
  };
}

/** The -t report's mode: the file is opened before the configuration (and its umask) is read. */
export function configTestLogMode(commandLine: number | undefined): number {
  return RW_R_R & ~(commandLine ?? KEEPALIVED_DEFAULT_UMASK);
}

/** The mask in force in bin/vrrpd: set at start, then by each configuration read unless -u said it. */
export class FileModes {
  private current: number;

  constructor(private readonly commandLine: number | undefined) {
    this.current = commandLine ?? KEEPALIVED_DEFAULT_UMASK;
    process.umask(this.current);
  }

  get mask(): number {
    return this.current;
  }

  get modes(): ReturnType<typeof modesUnder> {
    return modesUnder(this.current);
  }

  /** reload_file's, and the report of a reload's check (written by keepalived's `-t` child). */
  get reloadModes(): ReloadFileModes {
    return { reloadFile: this.modes.reloadFile, checkLog: configTestLogMode(this.commandLine) };
  }

  /** The mask once a configuration with `fileMask` (its umask, if any) is in force. */
  private maskWith(fileMask: number | undefined): number {
    return this.commandLine ?? fileMask ?? this.current;
  }

  /** `plan` (read with the umask `fileMask`) with its notify FIFOs made at the mode the mask gives. */
  forFifos(plan: HealthPlan, fileMask: number | undefined): HealthPlan {
    if (plan.notifyFifos === undefined) return plan;
    const { fifo } = modesUnder(this.maskWith(fileMask));
    return { ...plan, notifyFifos: plan.notifyFifos.map((spec) => ({ ...spec, mode: fifo })) };
  }

  /** A configuration was read (at start, or a reload applied): its umask, unless -u gave one. */
  /** Back to `mask` (a refused reload's useFile undone). */
  restore(mask: number): void {
    this.current = mask;
    process.umask(mask);
  }

  useFile(fileMask: number | undefined, logger: RuntimeLogger): void {
    if (fileMask === undefined) return;
    if (this.commandLine !== undefined) {
      logger.info(
        { event: 'notice', notice: 'umask-command-line' },
        `umask ${octal(fileMask)} in the file ignored: --umask ${octal(this.commandLine)} was given`,
      );
      return;
    }
    this.current = fileMask;
    process.umask(fileMask);
  }
}

function octal(mask: number): string {
  return `0${mask.toString(8)}`;
}
