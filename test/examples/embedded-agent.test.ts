// Runs the embedding example of docs/embedding.md in real time on the system clock.
import t from 'tap';
import { PeerBus, startAgent, type Agent } from './embedded-agent.js';

function waitFor(what: string, condition: () => boolean, timeoutMs = 3000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      if (condition()) {
        clearInterval(poll);
        resolve();
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(poll);
        reject(new Error(`timed out waiting for ${what}`));
      }
    }, 5);
  });
}

const state = (agent: Agent) => agent.engine.snapshot()[0]!.state;

t.test('two embedded agents elect, fail over on health, and hand over on stop', async (t) => {
  const bus = new PeerBus();
  const a = startAgent(bus, 'agent-a', '192.0.2.1', 200);
  const b = startAgent(bus, 'agent-b', '192.0.2.2', 100);
  t.teardown(async () => {
    await a.engine.stop();
    await b.engine.stop();
  });

  await waitFor('agent-a to become Master', () => state(a) === 'Master' && state(b) === 'Backup');
  t.same([...a.addresses.held], ['192.0.2.200'], 'the master holds the VIP');
  t.same([...b.addresses.held], [], 'the backup holds nothing');

  a.reportHealth(false); // 200 - 150 = 50 < 100: agent-b preempts
  await waitFor('agent-b to take over', () => state(b) === 'Master' && state(a) === 'Backup');
  t.same([...b.addresses.held], ['192.0.2.200']);
  t.same([...a.addresses.held], []);

  a.reportHealth(true); // 200 again: agent-a preempts back
  await waitFor('agent-a to take back', () => state(a) === 'Master' && state(b) === 'Backup');

  await a.engine.stop(); // priority-0 advert: agent-b takes over after Skew_Time, not a full down interval
  await waitFor('agent-b to take over after a graceful stop', () => state(b) === 'Master', 500);
  t.same([...a.addresses.held], [], 'a stopped agent keeps no VIP');
  t.match(a.addresses.log.at(-1), /^remove 192\.0\.2\.200/);
});
