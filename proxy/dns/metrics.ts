// DNS metrics in the Prometheus text format, named as CoreDNS names them.
const buckets = [0.00025, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192];

export class DnsMetrics {
  private byRcode = new Map<string, number>();
  private byType = new Map<string, number>();
  private hist = new Array(buckets.length).fill(0);
  private sum = 0;
  private n = 0;

  count(rcode: string, qtype: string, seconds?: number): void {
    this.byRcode.set(rcode, (this.byRcode.get(rcode) ?? 0) + 1);
    this.byType.set(qtype, (this.byType.get(qtype) ?? 0) + 1);
    if (seconds === undefined) return;
    this.n++;
    this.sum += seconds;
    buckets.forEach((b, i) => {
      if (seconds <= b) this.hist[i]++;
    });
  }

  total(): number {
    let t = 0;
    for (const v of this.byType.values()) t += v;
    return t;
  }

  rcodeCount(rcode: string): number {
    return this.byRcode.get(rcode) ?? 0;
  }

  render(): string {
    const h = 'coredns_dns_request_duration_seconds';
    return [
      '# HELP coredns_dns_requests_total Counter of DNS requests made per type.',
      '# TYPE coredns_dns_requests_total counter',
      ...[...this.byType].map(([t, v]) => `coredns_dns_requests_total{server="dns://",zone=".",type="${t}"} ${v}`),
      '# HELP coredns_dns_responses_total Counter of response status codes.',
      '# TYPE coredns_dns_responses_total counter',
      ...[...this.byRcode].map(([r, v]) => `coredns_dns_responses_total{server="dns://",zone=".",rcode="${r}"} ${v}`),
      `# HELP ${h} Histogram of the time (in seconds) each request took.`,
      `# TYPE ${h} histogram`,
      ...buckets.map((b, i) => `${h}_bucket{server="dns://",zone=".",le="${b}"} ${this.hist[i]}`),
      `${h}_bucket{server="dns://",zone=".",le="+Inf"} ${this.n}`,
      `${h}_sum{server="dns://",zone="."} ${this.sum}`,
      `${h}_count{server="dns://",zone="."} ${this.n}`,
    ].join('\n') + '\n';
  }
}
