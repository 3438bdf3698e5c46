// The kubelet's CNI edge: the real `bridge` + `host-local` plugins, invoked
// from inside the node's network namespace (the kubelet runs there), as
// Kubernetes' CNI network plugin does: ADD when a sandbox starts, DEL when
// it goes. The IPAM store (one file per leased IP, naming the container)
// tells a restarted kubelet which IP each sandbox has.
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const NETWORK_NAME = 'mk8s';

export interface CniOptions {
  podCidr: string;
  /** host-local's dataDir: per node, so two nodes on one machine never share leases. */
  ipamDir: string;
  binDir?: string;
  bridge?: string;
}

/** The network configuration handed to the bridge plugin (pure). */
export function cniConfig(o: CniOptions): Record<string, unknown> {
  return {
    cniVersion: '1.0.0',
    name: NETWORK_NAME,
    type: 'bridge',
    bridge: o.bridge ?? 'cni0',
    isGateway: true,
    ipMasq: false,
    hairpinMode: true,
    ipam: {
      type: 'host-local',
      ranges: [[{ subnet: o.podCidr }]],
      routes: [{ dst: '0.0.0.0/0' }],
      dataDir: o.ipamDir,
    },
  };
}

export interface PodNetworkRef {
  containerId: string;
  /** `/proc/<pid>/ns/net` of the pause container; empty for a DEL after it died. */
  netns: string;
  podName: string;
  podNamespace: string;
}

export class Cni {
  readonly binDir: string;
  constructor(private readonly o: CniOptions) {
    this.binDir = o.binDir ?? '/usr/lib/cni';
  }

  private run(command: 'ADD' | 'DEL', ref: PodNetworkRef): Promise<string> {
    const conf = JSON.stringify(cniConfig(this.o));
    return new Promise((resolve, reject) => {
      const child = spawn(join(this.binDir, 'bridge'), [], {
        env: {
          PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
          CNI_COMMAND: command,
          CNI_CONTAINERID: ref.containerId,
          CNI_NETNS: ref.netns,
          CNI_IFNAME: 'eth0',
          CNI_PATH: this.binDir,
          CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=${ref.podNamespace};K8S_POD_NAME=${ref.podName};K8S_POD_INFRA_CONTAINER_ID=${ref.containerId}`,
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      child.on('error', reject);
      child.on('close', (code) => {
        if (code === 0) return resolve(out);
        let msg = err.trim() || out.trim();
        try {
          const e = JSON.parse(out);
          msg = `${e.msg ?? ''}${e.details ? `: ${e.details}` : ''}`;
        } catch {
          /* not JSON */
        }
        reject(new Error(`CNI ${command} failed: ${msg}`));
      });
      child.stdin.end(conf);
    });
  }

  /** CNI ADD; returns the pod's IP. */
  async add(ref: PodNetworkRef): Promise<string> {
    await mkdir(this.o.ipamDir, { recursive: true });
    const res = JSON.parse(await this.run('ADD', ref));
    const addr: string | undefined = res.ips?.[0]?.address;
    if (!addr) throw new Error(`CNI ADD returned no IP: ${JSON.stringify(res)}`);
    return addr.split('/')[0];
  }

  /** CNI DEL: removes the pod's veth and releases its IP lease. Safe to repeat. */
  async del(ref: PodNetworkRef): Promise<void> {
    await this.run('DEL', ref);
  }

  /** Leased IPs by container ID, from host-local's store (`<dataDir>/<network>/<ip>` holds the container ID). */
  async leases(): Promise<Map<string, string>> {
    const dir = join(this.o.ipamDir, NETWORK_NAME);
    const out = new Map<string, string>();
    let files: string[];
    try {
      files = await readdir(dir);
    } catch {
      return out;
    }
    for (const f of files) {
      if (!/^\d+\.\d+\.\d+\.\d+$/.test(f)) continue;
      try {
        const id = (await readFile(join(dir, f), 'utf8')).split(/\r?\n/)[0].trim();
        if (id) out.set(id, f);
      } catch {
        /* released meanwhile */
      }
    }
    return out;
  }
}
