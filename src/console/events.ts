import {
  AUDIT_DECISIONS,
  describeEvent,
  matchesQuery,
  parseDecision,
  parseSince,
  sourceEvents,
  type AuditEvent,
  type AuditQuery,
  type AuditSource,
} from '../audit/index.js';
import { html, layout, type Html, type PageChrome } from './html.js';
import { storyHref } from './story.js';

/**
 * Recent audit events, filtered as `airlock audit query` filters them (grant, tool, decision,
 * since) plus an upper time bound, newest first and bounded.
 */

export const DEFAULT_EVENT_LIMIT = 200;
/** Without `since`, the page reads the last day only: reading a year of files per page view would be slow. */
export const DEFAULT_SINCE = '24h';

export interface EventFilter {
  /** The form's values as typed, to show them again. */
  values: { grant: string; tool: string; decision: string; since: string; until: string };
  query: AuditQuery;
  /** Epoch ms: events at or before it. */
  untilMs?: number;
  /** One message per field that could not be read; the query leaves that field out. */
  errors: { field: 'decision' | 'since' | 'until'; message: string }[];
}

/** The filter of the events page from its URL query (`?grant=&tool=&decision=&since=&until=`). */
export function parseEventFilter(params: URLSearchParams, now: number): EventFilter {
  const get = (name: string) => (params.get(name) ?? '').trim();
  const values = {
    grant: get('grant'),
    tool: get('tool'),
    decision: get('decision'),
    since: params.has('since') ? get('since') : DEFAULT_SINCE,
    until: get('until'),
  };
  const filter: EventFilter = { values, query: {}, errors: [] };
  if (values.grant !== '') filter.query.grant = values.grant;
  if (values.tool !== '') filter.query.tool = values.tool;
  if (values.decision !== '') {
    const decision = parseDecision(values.decision);
    if (decision === undefined)
      filter.errors.push({ field: 'decision', message: `unknown decision ${JSON.stringify(values.decision)}` });
    else filter.query.decision = decision;
  }
  for (const field of ['since', 'until'] as const) {
    if (values[field] === '') continue;
    const at = parseSince(values[field], now);
    if (at === undefined)
      filter.errors.push({
        field,
        message: `expected a duration like "1h" or an ISO time, got ${JSON.stringify(values[field])}`,
      });
    else if (field === 'since') filter.query.sinceMs = at;
    else filter.untilMs = at;
  }
  return filter;
}

/** The newest `limit` events matching the filter, newest first; `truncated` when older ones matched too. */
export async function recentEvents(
  source: AuditSource,
  filter: Pick<EventFilter, 'query' | 'untilMs'>,
  limit = DEFAULT_EVENT_LIMIT,
): Promise<{ events: AuditEvent[]; truncated: boolean }> {
  // Events come oldest first: keep a ring of the last `limit` matches.
  const kept: AuditEvent[] = [];
  let truncated = false;
  for await (const event of sourceEvents(source, filter.query.sinceMs)) {
    if (!matchesQuery(event, filter.query)) continue;
    if (filter.untilMs !== undefined && Date.parse(event.time) > filter.untilMs) continue;
    kept.push(event);
    if (kept.length > limit) {
      kept.shift();
      truncated = true;
    }
  }
  return { events: kept.reverse(), truncated };
}

export function renderEvents(
  filter: EventFilter,
  result: { events: AuditEvent[]; truncated: boolean },
  chrome: PageChrome,
  limit = DEFAULT_EVENT_LIMIT,
): Html {
  const v = filter.values;
  const field = (name: keyof EventFilter['values'], label: string, hint: string) => {
    const error = filter.errors.find((e) => e.field === name);
    return html`<p>
      <label for="f-${name}">${label}</label>
      <input
        id="f-${name}"
        name="${name}"
        value="${v[name]}"
        ${name === 'decision' ? html`list="decisions"` : ''}
        aria-describedby="f-${name}-hint${error ? ` f-${name}-error` : ''}"
        ${error ? html`aria-invalid="true"` : ''}
      />
      <small id="f-${name}-hint">${hint}</small>
      ${error ? html`<small id="f-${name}-error" class="error">${error.message}</small>` : ''}
    </p>`;
  };
  const rows = result.events.map(
    (e) =>
      html`<tr>
        <td><time datetime="${e.time}">${e.time}</time></td>
        <td><code>${e.type}</code></td>
        <td>${e.grant}</td>
        <td>${e.server}/${e.tool}</td>
        <td>${describeEvent(e)}</td>
        <td>
          <a href="${storyHref(e.call_id)}"><code>${e.call_id}</code></a>
        </td>
      </tr>`,
  );
  return layout(
    chrome,
    html`<h1>Events</h1>
      <form method="get" action="/console/events" class="filter" aria-label="Filter events">
        ${field('grant', 'Grant', 'exact grant name')} ${field('tool', 'Tool', 'as the policy names it')}
        ${field('decision', 'Decision', 'allow, deny, require_approval, approved, denied, …')}
        ${field('since', 'Since', '"1h", "15m", "2d" or an ISO time; empty: all')}
        ${field('until', 'Until', 'same forms; empty: now')}
        <datalist id="decisions">${AUDIT_DECISIONS.map((d) => html`<option value="${d}"></option>`)}</datalist>
        <button type="submit">Filter</button>
      </form>
      ${
        filter.errors.length === 0
          ? ''
          : html`<div role="alert">
              <p>Some filters were not understood and were left out:</p>
              <ul>
                ${filter.errors.map((e) => html`<li>${e.field}: ${e.message}</li>`)}
              </ul>
            </div>`
      }
      <p role="status">
        ${
          result.events.length === 0
            ? 'No matching events.'
            : `${result.events.length} event${result.events.length === 1 ? '' : 's'}, newest first${result.truncated ? ` (the newest ${limit}; narrow the filter for older ones)` : ''}.`
        }
      </p>
      ${
        result.events.length === 0
          ? ''
          : html`<table class="events">
              <caption class="visually-hidden">
                Matching audit events, newest first
              </caption>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Event</th>
                  <th scope="col">Grant</th>
                  <th scope="col">Tool</th>
                  <th scope="col">What</th>
                  <th scope="col">Call</th>
                </tr>
              </thead>
              <tbody>
                ${rows}
              </tbody>
            </table>`
      }`,
  );
}

/** GET /console/events?… → the page (400 when a filter could not be read; the rest still applies). */
export async function handleEvents(
  source: AuditSource,
  params: URLSearchParams,
  chrome: Omit<PageChrome, 'title' | 'current'>,
  now = Date.now(),
): Promise<{ status: number; html: Html }> {
  const filter = parseEventFilter(params, now);
  const result = await recentEvents(source, filter);
  return {
    status: filter.errors.length === 0 ? 200 : 400,
    html: renderEvents(filter, result, { ...chrome, title: 'Events', current: 'events' }),
  };
}
