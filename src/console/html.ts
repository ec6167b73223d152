/**
 * Server-rendered HTML without a template engine: `html` escapes every interpolated value unless
 * it is already `Html` (another `html` result, or `raw()` for markup we wrote ourselves), so text
 * from agents, tools and audit events can never become markup.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/gu, (ch) => ESCAPES[ch]!);
}

type Part = Html | string | number | boolean | null | undefined | readonly Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof Html) return part.text;
  if (Array.isArray(part)) return (part as readonly Part[]).map(render).join('');
  return escapeHtml(String(part as string | number | boolean));
}

/** A tagged template: `html\`<td>${name}</td>\`` escapes `name`; arrays are joined; null/false render nothing. */
export function html(strings: TemplateStringsArray, ...parts: Part[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < parts.length; i += 1) out += render(parts[i]!) + strings[i + 1]!;
  return new Html(out);
}

/** Markup we wrote ourselves (never text from outside). */
export function raw(text: string): Html {
  return new Html(text);
}

export interface PageChrome {
  title: string;
  /** The logged-in console user's name; undefined on the login page. */
  user?: string | undefined;
  /** The session's CSRF token: every form posts it, and the page's scripts send it as X-CSRF-Token. */
  csrf?: string | undefined;
  /** Which navigation entry is the current page. */
  current?: 'pending' | 'history' | 'events' | 'policy' | undefined;
}

const NAV: { id: NonNullable<PageChrome['current']>; href: string; label: string }[] = [
  { id: 'pending', href: '/console/', label: 'Pending' },
  { id: 'history', href: '/console/history', label: 'History' },
  { id: 'events', href: '/console/events', label: 'Events' },
  { id: 'policy', href: '/console/policy', label: 'Policy' },
];

/** The page around `body`: one stylesheet and one script (both ours, served by the console), readable on a phone. */
export function layout(chrome: PageChrome, body: Html): Html {
  const nav =
    chrome.user === undefined
      ? ''
      : html`<nav aria-label="Console">
          <ul>
            ${NAV.map(
              (n) =>
                html`<li>
                  <a href="${n.href}" ${n.id === chrome.current ? raw('aria-current="page"') : ''}>${n.label}</a>
                </li>`,
            )}
          </ul>
          <form method="post" action="/console/logout">
            <input type="hidden" name="csrf" value="${chrome.csrf ?? ''}" />
            <span>${chrome.user}</span> <button type="submit">Log out</button>
          </form>
        </nav>`;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        ${chrome.csrf === undefined ? '' : html`<meta name="csrf-token" content="${chrome.csrf}" />`}
        <title>${chrome.title} · Airlock</title>
        <link rel="stylesheet" href="/console/assets/console.css" />
        <script src="/console/assets/console.js" defer></script>
      </head>
      <body>
        <header><a class="brand" href="/console/">Airlock</a>${nav}</header>
        <main id="main">${body}</main>
      </body>
    </html>`;
}
