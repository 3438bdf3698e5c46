// kube-proxy-style metrics in the Prometheus text format.
const buckets = [0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192, 16.384];

export class ProxyMetrics {
  private counts = new Array(buckets.length).fill(0);
  private sum = 0;
  private n = 0;
  lastSyncSeconds = 0;
  rules = 0;
  syncs = 0;
  noopSyncs = 0;
  syncFailures = 0;
  /** The nftables mode's `nft -i` (nftables/session.ts): transactions it applied, warm-ups it ran. */
  nftSession: { transactions: number; warmed: number } | undefined;

  observeSync(seconds: number, rules: number, changed: boolean): void {
    this.n++;
    this.sum += seconds;
    buckets.forEach((b, i) => {
      if (seconds <= b) this.counts[i]++;
    });
    this.lastSyncSeconds = Date.now() / 1000;
    this.rules = rules;
    if (changed) this.syncs++;
    else this.noopSyncs++;
  }

  render(): string {
    const h = 'kubeproxy_sync_proxy_rules_duration_seconds';
    const lines = [
      `# HELP ${h} SyncProxyRules latency in seconds`,
      `# TYPE ${h} histogram`,
      ...buckets.map((b, i) => `${h}_bucket{le="${b}"} ${this.counts[i]}`),
      `${h}_bucket{le="+Inf"} ${this.n}`,
      `${h}_sum ${this.sum}`,
      `${h}_count ${this.n}`,
      '# HELP kubeproxy_sync_proxy_rules_last_timestamp_seconds The last time proxy rules were successfully synced',
      '# TYPE kubeproxy_sync_proxy_rules_last_timestamp_seconds gauge',
      `kubeproxy_sync_proxy_rules_last_timestamp_seconds ${this.lastSyncSeconds}`,
      '# HELP kubeproxy_sync_proxy_rules_iptables_total Total number of iptables rules owned by kube-proxy',
      '# TYPE kubeproxy_sync_proxy_rules_iptables_total gauge',
      `kubeproxy_sync_proxy_rules_iptables_total ${this.rules}`,
      '# HELP mk8s_proxy_syncs_total Syncs, by whether they changed the kernel rules',
      '# TYPE mk8s_proxy_syncs_total counter',
      `mk8s_proxy_syncs_total{changed="true"} ${this.syncs}`,
      `mk8s_proxy_syncs_total{changed="false"} ${this.noopSyncs}`,
      '# HELP kubeproxy_sync_proxy_rules_iptables_restore_failures_total Failed iptables-restore runs',
      '# TYPE kubeproxy_sync_proxy_rules_iptables_restore_failures_total counter',
      `kubeproxy_sync_proxy_rules_iptables_restore_failures_total ${this.syncFailures}`,
    ];
    if (this.nftSession) {
      lines.push(
        '# HELP mk8s_proxy_nft_session_transactions_total Partial syncs applied through the long-lived nft -i',
        '# TYPE mk8s_proxy_nft_session_transactions_total counter',
        `mk8s_proxy_nft_session_transactions_total ${this.nftSession.transactions}`,
        '# HELP mk8s_proxy_nft_session_warmups_total Warm-up lines run by the long-lived nft -i between syncs (its cache reloaded)',
        '# TYPE mk8s_proxy_nft_session_warmups_total counter',
        `mk8s_proxy_nft_session_warmups_total ${this.nftSession.warmed}`,
      );
    }
    return lines.join('\n') + '\n';
  }
}
