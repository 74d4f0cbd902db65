// The runtime's handle with the routes, rules and static addresses around it (route-follower.ts): the
// follower listens before the engine starts (an address owner is Master at once), leftovers of a
// killed run are removed first, the static set goes in once the routers run, a reload brings every
// owner to its new wants, and a releasing stop removes everything after the routers let go of their
// VIPs. Kept apart from runtime.ts, which only hands its handle over.

import type { Engine } from '../engine/engine.js';
import type { RuntimeLogger } from '../model/logger.js';
import type { LinuxEngineInput } from '../model/runtime-input.js';
import { RtNetlinkClient } from '../linux/netlink.js';
import { RouteClient } from '../linux/routes.js';
import type { ApplyOptions, ApplyResult, LinuxEngineHandle, StartOptions, StopOptions } from './handle.js';
import { linuxHostOperations, RouteFollower } from './route-follower.js';
import { RouteWatch } from './route-watch.js';

type StartableHandle = LinuxEngineHandle & { start(beforeStart?: StartOptions['beforeStart']): Promise<void> };

/** Starts `runtime` with its routes; the handle to give callers. */
export async function startWithRoutes(
  runtime: StartableHandle,
  input: LinuxEngineInput,
  logger: RuntimeLogger,
  beforeStart: StartOptions['beforeStart'],
): Promise<LinuxEngineHandle> {
  if (!input.routes?.length && !input.rules?.length && !input.staticAddresses?.length) {
    // Nothing to follow: no socket, no listener. A reload that brings some opens them then (apply).
    await runtime.start(beforeStart);
    return new RoutedHandle(runtime, undefined, logger);
  }
  const handle = new RoutedHandle(runtime, input, logger);
  try {
    await handle.follower().start();
    await runtime.start(beforeStart);
  } catch (error) {
    // Nothing was added yet (leftovers were only removed): the sockets go, the caller undoes the rest.
    handle.closeClients();
    throw error;
  }
  await handle.follower().schedule('');
  await handle.watch();
  return handle;
}

class RoutedHandle implements LinuxEngineHandle {
  private routes: { follower: RouteFollower; routeClient: RouteClient; addressClient: RtNetlinkClient } | undefined;
  private routeWatch: RouteWatch | undefined;

  constructor(
    private readonly runtime: StartableHandle,
    input: LinuxEngineInput | undefined,
    private readonly logger: RuntimeLogger,
  ) {
    if (input !== undefined) this.open(input);
  }

  get engine(): Engine {
    return this.runtime.engine;
  }
  get routers() {
    return this.runtime.routers;
  }
  get links() {
    return this.runtime.links;
  }
  snapshot() {
    return this.runtime.snapshot();
  }
  counters() {
    return this.runtime.counters();
  }
  conflicts() {
    return this.runtime.conflicts();
  }
  armStopAdverts(on: boolean): void {
    this.runtime.armStopAdverts(on);
  }

  follower(): RouteFollower {
    return this.routes!.follower;
  }

  async watch(): Promise<void> {
    if (this.routeWatch !== undefined || this.routes === undefined) return;
    this.routeWatch = await RouteWatch.open(this.engine, this.routes.follower, this.logger);
  }

  async apply(next: LinuxEngineInput, options?: ApplyOptions): Promise<ApplyResult> {
    const result = await this.runtime.apply(next, options);
    if (this.routes === undefined && (next.routes?.length || next.rules?.length || next.staticAddresses?.length)) {
      this.open({ routers: [] });
      for (const name of this.engine.routerNames()) {
        const state = this.engine.snapshot().find((router) => router.name === name)?.state;
        if (state !== undefined) this.routes!.follower.observe(name, state);
      }
      await this.watch();
    }
    await this.routes?.follower.setInput(next);
    return result;
  }

  async stop(options: StopOptions = {}): Promise<void> {
    try {
      await this.runtime.stop(options);
    } finally {
      this.routeWatch?.close();
      if (this.routes !== undefined) {
        await this.routes.follower.close(options.release ?? true);
        this.closeClients();
      }
    }
  }

  closeClients(): void {
    this.routes?.routeClient.close();
    this.routes?.addressClient.close();
  }

  private open(input: LinuxEngineInput): void {
    const routeClient = new RouteClient();
    const addressClient = new RtNetlinkClient();
    const host = linuxHostOperations(routeClient, addressClient);
    this.routes = { follower: new RouteFollower(this.engine, host, input, this.logger), routeClient, addressClient };
  }
}
