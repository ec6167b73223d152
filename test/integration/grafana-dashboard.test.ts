import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { GatewayMetrics, type MetricSources } from '../../src/telemetry/index.js';
import { ROOT } from '../helpers/paths.js';
import { promqlUses, selectorsIn, type PromqlUses } from '../helpers/promql.js';

/**
 * deploy/grafana/airlock-dashboard.json, checked against the metrics a real gateway registry
 * exports (GatewayMetrics, prom-client's default metrics included): every query names a metric
 * that exists and only labels it has, rates only counters, takes quantiles over buckets kept by
 * `le`, follows the dashboard's variables, and every airlock_* metric has a panel. Renaming a
 * metric or a label in src/telemetry fails here. No Grafana or Prometheus is started: Grafana
 * needs only the fields checked in the first test to import the file.
 */

const DASHBOARD_PATH = 'deploy/grafana/airlock-dashboard.json';
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };
/** Labels Prometheus adds to every scraped series. */
const TARGET_LABELS = new Set(['instance', 'job']);
/** Grafana's own variables that PromQL queries use. */
const BUILTIN_VARIABLES = new Set(['__rate_interval', '__interval', '__range']);
/** Grafana unit ids this dashboard may use (a typo such as "sec" would show raw numbers). */
const UNITS = new Set(['s', 'reqps', 'cps', 'short', 'bytes', 'percentunit', 'none']);
const RATES = new Set(['rate', 'irate', 'increase']);

const gridPos = z.object({ h: z.int().positive(), w: z.int().min(1).max(24), x: z.int().min(0), y: z.int().min(0) });
const datasourceRef = z.object({ type: z.string(), uid: z.string() });
const target = z.object({ refId: z.string().min(1), expr: z.string().min(1), datasource: datasourceRef });
const panel = z.object({
  id: z.int().positive(),
  type: z.string().min(1),
  title: z.string().min(1),
  description: z.string().optional(),
  gridPos,
  datasource: datasourceRef.optional(),
  targets: z.array(target).optional(),
  fieldConfig: z.object({ defaults: z.object({ unit: z.string().optional() }) }).optional(),
});
const variable = z.object({
  name: z.string().min(1),
  type: z.string(),
  query: z.union([z.string(), z.object({ query: z.string() })]).optional(),
});
const dashboardSchema = z.object({
  title: z.string().min(1),
  uid: z.string().regex(/^[a-zA-Z0-9_-]{1,40}$/),
  schemaVersion: z.int().min(36),
  panels: z.array(panel).min(1),
  templating: z.object({ list: z.array(variable) }),
});
type Dashboard = z.infer<typeof dashboardSchema>;
type Panel = z.infer<typeof panel>;

/** One series name a query can select: a metric, or a histogram's _bucket, _sum or _count. */
interface Series {
  metric: string;
  type: string;
  labels: Set<string>;
}
type Catalog = Map<string, Series>;

/** The sources only feed the gauges' values at scrape time; their labels are fixed by the metric. */
const idleSources: MetricSources = {
  pendingApprovals: () => Promise.resolve(new Map()),
  heldCalls: () => 0,
  upstreams: () => [],
  sessions: () => 0,
  auditStreamDropped: () => 0,
};

async function exportedSeries(): Promise<Catalog> {
  const { registry } = new GatewayMetrics(idleSources);
  const catalog: Catalog = new Map();
  for (const metric of await registry.getMetricsAsJSON()) {
    // prom-client keeps the declared label names on the metric; its typings do not show them.
    const declared = (registry.getSingleMetric(metric.name) as unknown as { labelNames?: unknown }).labelNames;
    if (!Array.isArray(declared)) throw new Error(`prom-client no longer exposes labelNames (${metric.name})`);
    const labels = new Set<string>(declared as string[]);
    for (const value of metric.values) for (const label of Object.keys(value.labels)) labels.add(label);
    // The typings say an enum; at run time it is 'counter', 'gauge', 'histogram' or 'summary'.
    const type = String(metric.type);
    if (type !== 'histogram') {
      catalog.set(metric.name, { metric: metric.name, type, labels });
      continue;
    }
    catalog.set(`${metric.name}_bucket`, { metric: metric.name, type, labels: new Set([...labels, 'le']) });
    for (const suffix of ['_sum', '_count']) catalog.set(metric.name + suffix, { metric: metric.name, type, labels });
  }
  return catalog;
}

interface Query {
  where: string;
  expr: string;
  /** A panel's query (follows every variable) rather than a variable's own label_values query. */
  panel: boolean;
  uses: PromqlUses;
}

/** Every PromQL expression of the dashboard: panel targets, and the metric part of label_values(). */
function queriesOf(dashboard: Dashboard): Query[] {
  const queries: Query[] = [];
  for (const p of dashboard.panels)
    for (const t of p.targets ?? [])
      queries.push({ where: `panel "${p.title}" ${t.refId}`, expr: t.expr, panel: true, uses: promqlUses(t.expr) });
  for (const v of dashboard.templating.list) {
    if (v.type !== 'query') continue;
    const text = typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
    const labelValues = /^label_values\((.+),\s*([a-zA-Z_]\w*)\)$/su.exec(text);
    if (labelValues === null) throw new Error(`variable ${v.name}: expected label_values(metric, label), got ${text}`);
    const uses = promqlUses(labelValues[1]!);
    // The label it lists is checked like a grouping over every selector of the query.
    uses.scopes.push({
      name: 'label_values',
      kind: 'function',
      grouping: [labelValues[2]!],
      mode: 'by',
      from: -1,
      to: Number.POSITIVE_INFINITY,
    });
    queries.push({ where: `variable ${v.name}`, expr: text, panel: false, uses });
  }
  return queries;
}

/** Metric names that do not exist and labels their metric does not have. */
function nameProblems(queries: Query[], catalog: Catalog): string[] {
  const problems: string[] = [];
  const hasLabel = (metric: string, label: string) =>
    TARGET_LABELS.has(label) || (catalog.get(metric)?.labels.has(label) ?? false);
  for (const { where, uses } of queries) {
    for (const s of uses.selectors) {
      if (!catalog.has(s.metric)) problems.push(`${where}: no metric ${s.metric}`);
      else
        for (const m of s.matchers)
          if (!hasLabel(s.metric, m.label)) problems.push(`${where}: ${s.metric} has no label ${m.label}`);
    }
    for (const scope of uses.scopes)
      for (const label of scope.grouping)
        for (const s of selectorsIn(uses, scope))
          if (catalog.has(s.metric) && !hasLabel(s.metric, label))
            problems.push(
              `${where}: ${scope.name} ${scope.mode} (${label}) over ${s.metric}, which has no label ${label}`,
            );
  }
  return problems;
}

/** rate() over a gauge, or histogram_quantile() over something other than buckets kept by le. */
function functionProblems(queries: Query[], catalog: Catalog): string[] {
  const problems: string[] = [];
  for (const { where, uses } of queries)
    for (const scope of uses.scopes) {
      const inside = selectorsIn(uses, scope);
      if (RATES.has(scope.name))
        for (const s of inside) {
          const type = catalog.get(s.metric)?.type;
          if (type !== 'counter' && type !== 'histogram')
            problems.push(`${where}: ${scope.name}() over ${type} ${s.metric}`);
        }
      if (scope.name !== 'histogram_quantile') continue;
      for (const s of inside)
        if (!s.metric.endsWith('_bucket') || catalog.get(s.metric)?.type !== 'histogram')
          problems.push(`${where}: histogram_quantile() over ${s.metric}, not a histogram's buckets`);
      const aggregations = uses.scopes.filter(
        (a) => a.kind === 'aggregation' && a.from > scope.from && a.to < scope.to,
      );
      for (const a of aggregations) {
        const keepsLe = a.mode === 'by' ? a.grouping.includes('le') : !a.grouping.includes('le');
        if (!keepsLe) problems.push(`${where}: ${a.name} inside histogram_quantile() drops le`);
      }
    }
  return problems;
}

function airlockMetricsShown(queries: Query[], catalog: Catalog): Set<string> {
  const shown = new Set<string>();
  for (const { panel: isPanel, uses } of queries)
    for (const s of uses.selectors) {
      const series = catalog.get(s.metric);
      if (isPanel && series !== undefined) shown.add(series.metric);
    }
  return shown;
}

const dashboardText = readFileSync(join(ROOT, DASHBOARD_PATH), 'utf8');
const parse = (text: string) => dashboardSchema.parse(JSON.parse(text));
const isRow = (p: Panel) => p.type === 'row';

describe(DASHBOARD_PATH, () => {
  let catalog: Catalog;
  let dashboard: Dashboard;
  let queries: Query[];
  beforeAll(async () => {
    catalog = await exportedSeries();
    dashboard = parse(dashboardText);
    queries = queriesOf(dashboard);
  });

  it('has what Grafana needs to import it: title, uid, panels with unique ids and places, a Prometheus data source variable', () => {
    const raw = JSON.parse(dashboardText) as { templating: { list: Record<string, unknown>[] } };
    expect(raw.templating.list.find((v) => v.name === 'datasource')).toMatchObject({
      type: 'datasource',
      query: 'prometheus',
    });
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      if (isRow(p)) {
        expect(p.gridPos, p.title).toMatchObject({ x: 0, w: 24, h: 1 });
        continue;
      }
      expect(p.datasource, p.title).toEqual(DATASOURCE);
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      const refIds = p.targets!.map((t) => t.refId);
      expect(new Set(refIds).size, p.title).toBe(refIds.length);
      for (const t of p.targets!) expect(t.datasource, p.title).toEqual(DATASOURCE);
      expect(p.description?.length ?? 0, `${p.title}: description`).toBeGreaterThan(20);
      expect(UNITS, `${p.title}: unit`).toContain(p.fieldConfig?.defaults.unit);
    }
  });

  it('lays panels out without overlaps', () => {
    const overlaps: string[] = [];
    const panels = dashboard.panels;
    panels.forEach((a, i) => {
      for (const b of panels.slice(i + 1)) {
        const apart =
          a.gridPos.x + a.gridPos.w <= b.gridPos.x ||
          b.gridPos.x + b.gridPos.w <= a.gridPos.x ||
          a.gridPos.y + a.gridPos.h <= b.gridPos.y ||
          b.gridPos.y + b.gridPos.h <= a.gridPos.y;
        if (!apart) overlaps.push(`${a.title} / ${b.title}`);
      }
    });
    expect(overlaps).toEqual([]);
  });

  it('queries only metrics the gateway exports, with labels those metrics have', () => {
    expect(queries.length).toBeGreaterThan(30);
    expect(nameProblems(queries, catalog)).toEqual([]);
  });

  it('rates only counters and takes quantiles over histogram buckets kept by le', () => {
    expect(functionProblems(queries, catalog)).toEqual([]);
  });

  it('shows every airlock_* metric on a panel', () => {
    const ours = [...new Set([...catalog.values()].map((s) => s.metric))].filter((m) => m.startsWith('airlock_'));
    expect(ours.length).toBeGreaterThanOrEqual(17);
    const shown = airlockMetricsShown(queries, catalog);
    expect(ours.filter((m) => !shown.has(m))).toEqual([]);
  });

  it('filters every panel query by job and instance, and by server and grant where the metric has them', () => {
    const unfiltered: string[] = [];
    for (const { where, panel: isPanel, uses } of queries) {
      if (!isPanel) continue;
      for (const s of uses.selectors) {
        const wanted = ['job', 'instance', 'server', 'grant'].filter(
          (label) => TARGET_LABELS.has(label) || catalog.get(s.metric)?.labels.has(label),
        );
        for (const label of wanted)
          if (!s.matchers.some((m) => m.label === label && m.op === '=~' && m.value === `$${label}`))
            unfiltered.push(`${where}: ${s.metric} without ${label}=~"$${label}"`);
      }
    }
    expect(unfiltered).toEqual([]);
  });

  it('uses only variables it defines', () => {
    const defined = new Set([...dashboard.templating.list.map((v) => v.name), ...BUILTIN_VARIABLES]);
    const undefinedUses = queries.flatMap(({ where, uses }) =>
      uses.variables.filter((v) => !defined.has(v)).map((v) => `${where}: $${v}`),
    );
    expect(undefinedUses).toEqual([]);
  });

  it('catches a renamed metric, a wrong label and a rated gauge (the checks above read the queries)', () => {
    const problemsAfter = (from: string, to: string) => {
      const changed = dashboardText.replaceAll(from, to);
      expect(changed).not.toBe(dashboardText);
      const mutated = queriesOf(parse(changed));
      return [...nameProblems(mutated, catalog), ...functionProblems(mutated, catalog)];
    };
    expect(problemsAfter('airlock_calls_refused_total', 'airlock_refused_calls_total')).toContainEqual(
      expect.stringContaining('no metric airlock_refused_calls_total'),
    );
    expect(problemsAfter('sum by (reason)', 'sum by (cause)')).toContainEqual(
      expect.stringContaining('airlock_calls_refused_total, which has no label cause'),
    );
    expect(problemsAfter('outcome!=\\"ok\\"', 'result!=\\"ok\\"')).toContainEqual(
      expect.stringContaining('airlock_call_outcomes_total has no label result'),
    );
    const sessions = 'airlock_sessions{job=~\\"$job\\", instance=~\\"$instance\\"}';
    expect(problemsAfter(sessions, `rate(${sessions}[5m])`)).toContainEqual(
      expect.stringContaining('rate() over gauge airlock_sessions'),
    );
    expect(problemsAfter('sum by (le, server)', 'sum by (server)')).toContainEqual(expect.stringContaining('drops le'));
  });
});
