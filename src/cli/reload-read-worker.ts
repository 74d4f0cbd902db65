// The worker thread of readConfigOffThread (reload-read.ts): reads the configuration once and posts the
// result, plain data only, to the daemon's main thread.

import { parentPort, workerData } from 'node:worker_threads';
import { ConfigLoadError, loadConfig } from './config-source.js';
import type { ReloadReadReply } from './reload-read.js';

const { path, configId, allIncludeChecks } = workerData as {
  path: string;
  configId: string | undefined;
  allIncludeChecks: boolean | undefined;
};
let reply: ReloadReadReply;
try {
  reply = { ok: true, loaded: loadConfig(path, configId, { allIncludeChecks }) };
} catch (error) {
  if (!(error instanceof ConfigLoadError)) throw error; // the 'error' event refuses the reload with its message
  reply = { ok: false, diagnostics: error.diagnostics };
}
parentPort!.postMessage(reply);
