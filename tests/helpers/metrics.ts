import parsePrometheusTextFormat, { type MetricFamily, type Sample } from 'parse-prometheus-text-format';

/** GET /metrics with these headers; the body parsed as Prometheus text when the answer is 200. */
export async function scrape(url: string, headers: Record<string, string>): Promise<{ status: number; contentType: string | null; families: MetricFamily[]; body: string }> {
  const res = await fetch(`${url}/metrics`, { headers });
  const body = await res.text();
  return { status: res.status, contentType: res.headers.get('content-type'), families: res.status === 200 ? parsePrometheusTextFormat(body) : [], body };
}

export function family(families: MetricFamily[], name: string): MetricFamily {
  const found = families.find(f => f.name === name);
  if (!found) throw new Error(`no metric ${name}`);
  return found;
}

const matches = (sample: Sample, labels: Record<string, string>) => Object.entries(labels).every(([k, v]) => sample.labels?.[k] === v);

/** The value of a counter or gauge sample with these labels; 0 when no sample has them. */
export function value(families: MetricFamily[], name: string, labels: Record<string, string> = {}): number {
  const sample = family(families, name).metrics.find(s => matches(s, labels));
  return sample?.value === undefined ? 0 : Number(sample.value);
}

/** A histogram's observation count. */
export function histogramCount(families: MetricFamily[], name: string): number {
  const sample = family(families, name).metrics[0];
  return sample?.count === undefined ? 0 : Number(sample.count);
}
