// Runs inside a test network namespace (`ip netns exec NS node routes-child.js '<ops>'`): Node cannot
// setns, so the parent hands this process a JSON list of RouteClient operations; it runs them in
// order and prints one JSON line: each result ('added', 'exists', ...) or the error's code.

import { RouteClient } from '../../src/linux/routes.js';
import type { RouteSpec, RuleSpec } from '../../src/model/routes.js';

type Operation =
  | { readonly op: 'addRoute' | 'deleteRoute'; readonly spec: RouteSpec }
  | { readonly op: 'addRule' | 'deleteRule'; readonly spec: RuleSpec };

const client = new RouteClient();
const results: string[] = [];
for (const operation of JSON.parse(process.argv[2] ?? '[]') as Operation[]) {
  try {
    switch (operation.op) {
      case 'addRoute':
        results.push(await client.addRoute(operation.spec));
        break;
      case 'deleteRoute':
        results.push(await client.deleteRoute(operation.spec));
        break;
      case 'addRule':
        results.push(await client.addRule(operation.spec));
        break;
      case 'deleteRule':
        results.push(await client.deleteRule(operation.spec));
        break;
    }
  } catch (error) {
    results.push(`error ${(error as { code?: string }).code ?? String(error)}`);
  }
}
client.close();
process.stdout.write(`${JSON.stringify(results)}\n`);
