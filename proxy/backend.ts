// The seam between the proxy's shared core (informers, change trackers, sync
// runner, LB announcer, health servers) and one data-path mode (iptables,
// nftables), as kube-proxy's Provider/Proxier: a backend programs the kernel
// from the current snapshot and owns everything it writes.
import type { KubeObject } from '../api/types.js';
import type { ChangeSet } from './changes.js';
import type { ProxyConfig, ProxyNode } from './rules/desired.js';
import type { LiveRule } from './rules/live.js';

export const proxyModes = ['iptables', 'nftables'] as const;
export type ProxyMode = (typeof proxyModes)[number];

/** The snapshot a sync programs: the informers' current objects and this node. */
export interface SyncInput {
  services: KubeObject[];
  slices: KubeObject[];
  nodes: KubeObject[];
  node: ProxyNode;
  cfg: ProxyConfig;
}

export interface SyncOptions {
  /** Rewrite everything the backend owns (on start, hourly, after a failure, when intact() said no). */
  full: boolean;
  /** What changed since the last successful sync (a partial sync may touch only these services). */
  changed: ChangeSet;
}

export interface BackendSyncResult {
  /** Whether the kernel was written at all (false: a no-op sync). */
  changed: boolean;
  /** Rules (iptables) or rules + elements (nftables) the backend owns after the sync. */
  rules: number;
  /** Chains written by this sync. */
  written: number;
  ms: number;
}

export interface LiveRules {
  rules: LiveRule[];
  error?: string;
}

export interface ProxyBackend {
  readonly mode: ProxyMode;
  /** Learn what a previous proxy left in the kernel (a restart takes over without a traffic gap). */
  start(): Promise<void>;
  /** Program the kernel from the snapshot; throws on failure (the runner retries with a full sync). */
  sync(input: SyncInput, o: SyncOptions): Promise<BackendSyncResult>;
  /** Cheap check that the chains/tables the last sync wrote are still there, unchanged where it matters. */
  intact(): Promise<boolean>;
  /** The rules of one service (`ns/name`) on this node with the kernel's counters (/rules, explain-route --live). */
  liveRules(service: string): Promise<LiveRules>;
  /** Remove everything this mode owns (mk8s proxy --cleanup, switching modes). */
  cleanup(): Promise<void>;
}
