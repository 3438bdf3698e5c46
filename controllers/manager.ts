// `mk8s controllers`: every controller in one process (or in-process with
// the apiserver), sharing one informer per resource type and one event
// recorder. startControllers() returns once the informers have synced and
// the workers run; stop() drains the queues, then the informers and events.
import { pino, type Logger } from 'pino';
import type { Client } from '../client/http.js';
import { InformerFactory } from './informers.js';
import { EventRecorder } from '../client/events.js';
import type { Controller, ControllerContext } from './controller.js';
import { Scheduler } from './scheduler/controller.js';
import { ReplicaSetController, replicaSetKind, replicationControllerKind } from './replicaset/controller.js';
import { DeploymentController } from './deployment/controller.js';
import { EndpointsController } from './endpoints/controller.js';
import { EndpointSliceController } from './endpointslice/controller.js';
import { EndpointSliceMirroringController } from './endpointslice/mirroring.js';
import { GarbageCollector } from './gc/controller.js';
import { LoadBalancerPool } from './lbpool/controller.js';
import { NodeLifecycleController } from './nodelifecycle/controller.js';

export interface StartControllersOptions {
  client: Client;
  logger?: Logger;
  /** LoadBalancer address ranges, e.g. '172.18.0.200-172.18.0.250', used when the ConfigMap mk8s-system/lb-pool does not exist. */
  lbPool?: string;
  /** Addresses no LoadBalancer may get besides the nodes' own (the host's bridge address). */
  lbReserved?: string[];
  /** Seconds without a lease renewal before a node is Unknown (default 40). */
  nodeMonitorGracePeriodSeconds?: number;
  /** Seconds a node is unreachable before its pods are evicted (default 60). */
  podEvictionTimeoutSeconds?: number;
  /** Run only these controllers (names in `controllerNames`). */
  only?: string[];
}

/** The controllers by the names `only` takes, in start order. */
export const controllerFactories: Record<string, (ctx: ControllerContext) => Controller> = {
  garbagecollector: (ctx) => new GarbageCollector(ctx),
  deployment: (ctx) => new DeploymentController(ctx),
  replicaset: (ctx) => new ReplicaSetController(ctx, replicaSetKind),
  replicationcontroller: (ctx) => new ReplicaSetController(ctx, replicationControllerKind),
  scheduler: (ctx) => new Scheduler(ctx),
  endpoints: (ctx) => new EndpointsController(ctx),
  endpointslice: (ctx) => new EndpointSliceController(ctx),
  endpointslicemirroring: (ctx) => new EndpointSliceMirroringController(ctx),
  lbpool: (ctx) => new LoadBalancerPool(ctx),
  nodelifecycle: (ctx) => new NodeLifecycleController(ctx),
};

export const controllerNames = Object.keys(controllerFactories);

export async function startControllers(opts: StartControllersOptions): Promise<{ stop(): Promise<void> }> {
  const log = (opts.logger ?? pino({ level: process.env.MK8S_LOG_LEVEL ?? 'info' })).child({ component: 'controllers' });
  const names = opts.only ?? controllerNames;
  const unknown = names.filter((n) => !controllerFactories[n]);
  if (unknown.length) throw new Error(`unknown controller(s): ${unknown.join(', ')} (known: ${controllerNames.join(', ')})`);
  const informers = new InformerFactory(opts.client, log);
  const events = new EventRecorder(opts.client, log.child({ component: 'events' }));
  const ctx: ControllerContext = {
    client: opts.client,
    informers,
    events,
    log,
    options: {
      lbPool: opts.lbPool,
      lbReserved: opts.lbReserved,
      nodeMonitorGracePeriodSeconds: opts.nodeMonitorGracePeriodSeconds ?? 40,
      podEvictionTimeoutSeconds: opts.podEvictionTimeoutSeconds ?? 60,
    },
  };
  const controllers = controllerNames.filter((n) => names.includes(n)).map((n) => controllerFactories[n](ctx));
  try {
    await informers.start();
  } catch (e) {
    await informers.stop();
    throw e;
  }
  for (const c of controllers) c.start();
  log.info({ controllers: controllers.map((c) => c.name) }, 'controllers started');
  let stopping: Promise<void> | undefined;
  return {
    stop() {
      stopping ??= (async () => {
        await Promise.all(controllers.map((c) => c.stop()));
        await informers.stop();
        await events.stop();
        log.info('controllers stopped');
      })();
      return stopping;
    },
  };
}
