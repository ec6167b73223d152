import type { RiskCategory } from './schema.js';

/**
 * The verbs tool names and descriptions start with, by what they do. A name's first verb decides
 * (`get_run_artifact`: get; `directory_tree` has none, so its description's "Get a recursive
 * tree…" does). Verbs outside these lists decide nothing.
 */
const VERBS: Record<RiskCategory, readonly string[]> = {
  read: words(`
    get list search find query read fetch describe show view lookup browse count check
    compare inspect open stat health ping status info retrieve explain summarize analyze
    validate preview download export diff watch resolve return returns retrieves gets lists
    searches reads finds fetches queries
  `),
  write: words(`
    create set update copy register add put write edit insert upload log tag rename append
    save import patch assign attach link post send publish start run execute trigger deploy
    promote transition enable disable merge apply restore label annotate modify change mark
    submit commit make ensure schedule invoke creates sets updates adds writes registers
    copies promotes assigns makes
  `),
  destructive: words(`
    delete remove drop purge destroy truncate erase wipe revoke kill terminate reset clear
    unregister uninstall overwrite move deletes removes drops purges destroys moves
    overwrites
  `),
};

function words(text: string): string[] {
  return text.trim().split(/\s+/);
}

const CATEGORY_OF = new Map<string, RiskCategory>(
  (Object.entries(VERBS) as [RiskCategory, readonly string[]][]).flatMap(([category, verbs]) =>
    verbs.map((verb) => [verb, category] as const),
  ),
);

/**
 * Words in a writing tool's description that say it can destroy what exists ("completely
 * overwrite an existing file", "each edit replaces…", "irreversible").
 */
const DESTRUCTIVE_HINTS =
  /\b(overwrit\w*|replac\w*|delet\w*|remov\w*|eras\w*|destroy\w*|truncat\w*|irreversibl\w*|permanent\w*|cannot be (undone|recovered))\b/i;

/** The words of a tool name: `get_runMetrics`, `get-run-metrics` and `get.run.metrics` alike. */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word.toLowerCase());
}

/** The first word of the name with a known category, and that word. */
export function nameVerb(name: string): { verb: string; category: RiskCategory } | undefined {
  for (const word of nameWords(name)) {
    const category = CATEGORY_OF.get(word);
    if (category !== undefined) return { verb: word, category };
  }
  return undefined;
}

/** The description's first word, when it is a known verb ("Delete a run." → destructive). */
export function descriptionVerb(description: string | undefined): { verb: string; category: RiskCategory } | undefined {
  const first = description
    ?.trim()
    .match(/^[A-Za-z]+/)?.[0]
    ?.toLowerCase();
  const category = first === undefined ? undefined : CATEGORY_OF.get(first);
  return first !== undefined && category !== undefined ? { verb: first, category } : undefined;
}

/** The word of the description (first sentence or two) that says a writing tool destroys, if any. */
export function destructiveWording(description: string | undefined): string | undefined {
  // The opening of a description says what the tool does; its argument docs ("Args: …") may not.
  const opening = description?.split(/\n\s*(Args|Arguments|Parameters|Returns):/i)[0] ?? '';
  return opening.match(DESTRUCTIVE_HINTS)?.[0];
}
