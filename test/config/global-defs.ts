// A keepalived.conf with `globals` in its global_defs and one plain instance, for the tests of
// global_defs keywords: what the reader maps, and the errors it reports.
import { KeepalivedConfigError, parseKeepalivedConfig } from '../../src/config/keepalived/index.js';

export function globalDefsConf(globals: string): string {
  return `global_defs {\n${globals}\n}\nvrrp_instance VI_1 {\ninterface eth0\nvirtual_router_id 51\nvirtual_ipaddress {\n192.0.2.100\n}\n}\n`;
}

/** The file read with `globals`. */
export const readGlobals = (globals: string) => parseKeepalivedConfig(globalDefsConf(globals), 'k.conf');

/** The error messages of a file with `globals`; none when it is read. */
export function globalsErrors(globals: string): string[] {
  try {
    readGlobals(globals);
  } catch (error) {
    if (error instanceof KeepalivedConfigError)
      return error.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
    throw error;
  }
  return [];
}
