// Loads scenario files from test/scenarios (the tests run compiled, from dist/test/sim).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseScenario, type Scenario } from '../../src/sim/index.js';

export const repoRoot = join(fileURLToPath(import.meta.url), '../../../..');

export function loadScenario(name: string): Scenario {
  return parseScenario(JSON.parse(readFileSync(join(repoRoot, 'test/scenarios', `${name}.json`), 'utf8')));
}
