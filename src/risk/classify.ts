import type { ClassifiedTool, Confidence, RiskCategory, RiskClass, RiskLevel, RiskSource } from './schema.js';
import { descriptionVerb, destructiveWording, nameVerb } from './words.js';

const ORDER: Record<RiskCategory, number> = { read: 0, write: 1, destructive: 2 };
const riskier = (a: RiskCategory, b: RiskCategory) => (ORDER[a] >= ORDER[b] ? a : b);

/** What the annotations say, and whether they said it or the spec's defaults did. */
interface AnnotatedClass {
  category: RiskCategory;
  /** false when the category rests on a default (`destructiveHint` absent: the spec says true). */
  stated: boolean;
  text: string;
}

/** What the name, else the description, says the tool does. */
interface WordedClass {
  category: RiskCategory;
  source: 'name' | 'description';
  text: string;
}

/**
 * A tool's risk class from its MCP annotations, checked against its name and description.
 *
 * Annotations are the server's word, and hints from a server are untrusted (the spec says so),
 * so they are read with the spec's defaults (`readOnlyHint` false, `destructiveHint` true) and
 * compared with what the name's verb says (`delete_*`: destructive; `get_*`: read; see words.ts).
 * When the two disagree, the riskier one wins, with low confidence. A category that rests only
 * on the spec's default (`readOnlyHint: false` and no `destructiveHint`) yields to the name
 * (`copy_model_version`: write, not destructive). Without annotations, the name decides, then the
 * description; with nothing to go on, the spec's defaults: destructive.
 */
export function classifyTool(tool: ClassifiedTool): RiskClass {
  const annotated = fromAnnotations(tool.annotations);
  const worded = fromWords(tool);
  const { category, confidence, source, reason } = settle(annotated, worded);
  const openWorld = tool.annotations?.openWorldHint === true;
  const idempotent = tool.annotations?.idempotentHint === true;
  const level = levelOf(category, openWorld);
  const extras = [openWorld ? 'open-world (openWorldHint)' : '', category === 'write' && idempotent ? 'idempotent' : '']
    .filter(Boolean)
    .join(', ');
  return { category, openWorld, level, confidence, source, reason: extras ? `${reason}; ${extras}` : reason };
}

function fromAnnotations(annotations: ClassifiedTool['annotations']): AnnotatedClass | undefined {
  const readOnly = annotations?.readOnlyHint;
  const destructive = annotations?.destructiveHint;
  if (readOnly === true) return { category: 'read', stated: true, text: 'readOnlyHint: true' };
  if (destructive !== undefined)
    return {
      category: destructive ? 'destructive' : 'write',
      stated: true,
      text: `destructiveHint: ${destructive}`,
    };
  if (readOnly === false)
    return {
      category: 'destructive',
      stated: false,
      text: "readOnlyHint: false with no destructiveHint (the spec's default: destructive)",
    };
  return undefined;
}

function fromWords(tool: ClassifiedTool): WordedClass | undefined {
  const named = nameVerb(tool.name);
  const described = named === undefined ? descriptionVerb(tool.description) : undefined;
  const found = named ?? described;
  if (found === undefined) return undefined;
  const source = named !== undefined ? 'name' : 'description';
  const said = source === 'name' ? `the name says "${found.verb}"` : `the description starts "${found.verb}"`;
  // A writing tool whose description says it overwrites or deletes can destroy what exists.
  const wording = found.category === 'write' ? destructiveWording(tool.description) : undefined;
  if (wording !== undefined)
    return { category: 'destructive', source, text: `${said} and the description "${wording}"` };
  return { category: found.category, source, text: said };
}

function settle(
  annotated: AnnotatedClass | undefined,
  worded: WordedClass | undefined,
): { category: RiskCategory; confidence: Confidence; source: RiskSource; reason: string } {
  if (annotated === undefined) {
    if (worded !== undefined)
      return {
        category: worded.category,
        confidence: worded.source === 'name' ? 'medium' : 'low',
        source: worded.source,
        reason: `no annotations; ${worded.text}`,
      };
    return {
      category: 'destructive',
      confidence: 'low',
      source: 'default',
      reason: 'no annotations and no known verb in the name or description: the spec assumes destructive',
    };
  }
  if (worded === undefined)
    return {
      category: annotated.category,
      confidence: annotated.stated ? 'medium' : 'low',
      source: annotated.stated ? 'annotations' : 'default',
      reason: `${annotated.text}; the name and description say nothing to check it against`,
    };
  if (!annotated.stated) {
    // Only the spec's default said destructive: the words refine it (a read contradicts readOnlyHint: false).
    const category = worded.category === 'read' ? 'destructive' : worded.category;
    return {
      category,
      confidence: worded.category === 'read' ? 'low' : 'medium',
      source: worded.category === 'read' ? 'default' : worded.source,
      reason: `${annotated.text}; ${worded.text}: ${category}`,
    };
  }
  if (agree(annotated.category, worded.category))
    return {
      category: annotated.category,
      confidence: 'high',
      source: 'annotations',
      reason: `${annotated.text}, and ${worded.text}`,
    };
  const category = riskier(annotated.category, worded.category);
  return {
    category,
    confidence: 'low',
    source: category === annotated.category ? 'annotations' : worded.source,
    reason: `${annotated.text}, but ${worded.text}: the riskier class is taken`,
  };
}

/** A writing verb fits a destructive annotation (writing may destroy); the rest must match. */
function agree(annotated: RiskCategory, worded: RiskCategory): boolean {
  return annotated === worded || (annotated === 'destructive' && worded === 'write');
}

/**
 * read: low; write: medium; destructive: high; open-world raises a step. An idempotent write
 * stays medium: setting an alias twice is harmless, setting it once may still move production.
 */
function levelOf(category: RiskCategory, openWorld: boolean): RiskLevel {
  const levels: RiskLevel[] = ['low', 'medium', 'high'];
  const base = ORDER[category];
  return levels[Math.min(2, base + (openWorld ? 1 : 0))]!;
}
