/**
 * The four prompts. FastMCP validates prompt arguments with `validate_call` (so a list parameter
 * fed an MCP string argument fails) and each prompt returns one user text message. The wording
 * follows the spec's description of each prompt; it is the stand-in's own text.
 */
import { parseArguments } from './arguments.js';
import { findPrompt, type PromptDefinition } from './catalog.js';
import { FastMcpRequestError } from './errors.js';
import { strRepr } from './python-format.js';

type Render = (args: Record<string, unknown>) => string;

const AUDIT_PROMPT = `You are an experienced MLOps reviewer. Audit this MLflow deployment against common industry practice and score what you can observe.

<instructions>
  <step name="collect">
    Gather evidence with the tools before judging anything:
    1. get_experiments() to see every experiment, how many there are and how they are named.
    2. For at most 3 representative experiments: get_experiment_metrics, get_experiment_params,
       get_experiment_tags and get_runs(experiment_id, limit=5).
    3. For at most 3 of those runs: get_run(run_id) for params, metrics, tags and inputs, and
       get_run_artifacts(run_id) for the artifact layout.
    4. get_registered_models(), then for at most 2 models get_registered_model(name) and
       get_model_versions(name).
    <note>When the instance holds little data, mark a category "unknown" rather than "bad".</note>
  </step>

  <step name="score">
    Give each category a score from 1 to 10, with what is good, what is missing and what to change.

    <category name="experiment_organization">
      <best_practice>Names follow one convention (team.project.task), say what the work is about, and avoid placeholders such as "test" or "Default".</best_practice>
      <whats_good></whats_good><whats_bad></whats_bad><what_to_improve></what_to_improve><score>X/10</score>
    </category>
    <category name="parameter_logging">
      <best_practice>Every hyperparameter is logged at the start of a run with a descriptive name; tuning sweeps use parent and child runs.</best_practice>
      <whats_good></whats_good><whats_bad></whats_bad><what_to_improve></what_to_improve><score>X/10</score>
    </category>
    <category name="metric_logging">
      <best_practice>Train, validation and test metrics carry consistent prefixes, training curves are logged per step, and business metrics sit next to technical ones.</best_practice>
      <whats_good></whats_good><whats_bad></whats_bad><what_to_improve></what_to_improve><score>X/10</score>
    </category>
    <category name="tagging_strategy">
      <best_practice>Tags hold mutable, filterable metadata (team, environment, dataset version); configuration belongs in params, never in tags.</best_practice>
      <whats_good></whats_good><whats_bad></whats_bad><what_to_improve></what_to_improve><score>X/10</score>
    </category>
    <category name="artifact_management">
      <best_practice>Models are logged with log_model, artifacts live in durable storage rather than local file:// paths, and model cards, schemas and evaluation results are kept in an orderly layout.</best_practice>
      <whats_good></whats_good><whats_bad></whats_bad><what_to_improve></what_to_improve><score>X/10</score>
    </category>
    <category name="model_registry">
      <best_practice>Registered models have descriptive names, versions have descriptions, aliases such as champion route traffic, and every version links back to its source run.</best_practice>
      <whats_good></whats_good><whats_bad></whats_bad><what_to_improve></what_to_improve><score>X/10</score>
    </category>
    <category name="reproducibility">
      <best_practice>Runs record the git commit, random seeds, the datasets used (run inputs) and the dependency versions.</best_practice>
      <whats_good></whats_good><whats_bad></whats_bad><what_to_improve></what_to_improve><score>X/10</score>
    </category>
  </step>

  <step name="report">
    Summarise in a table:

    | Category | Score | Main issue |
    |---|---|---|
    | Experiment Organization | X/10 | … |
    | Parameter Logging | X/10 | … |
    | Metric Logging | X/10 | … |
    | Tagging Strategy | X/10 | … |
    | Artifact Management | X/10 | … |
    | Model Registry | X/10 | … |
    | Reproducibility | X/10 | … |
    | **Mean Score** | **X.X/10** | |

    Close with the three improvements that would matter most, each with concrete steps.
  </step>
</instructions>
`;

const RENDERERS: Record<string, Render> = {
  compare_runs_by_ids: (a) =>
    `Compare these runs from experiment ${String(a['experiment_id'])} side-by-side: [${(a['run_ids'] as string[]).map(strRepr).join(', ')}].\n\n` +
    '1. Call get_run for each run ID to fetch its full details.\n' +
    '2. Call compare_runs for a structured side-by-side view of all metrics and params.\n' +
    '3. Point out the metrics that differ most, the params that explain the differences, and which run wins overall, with reasons.',
  find_best_run: (a) =>
    `Find the best run in experiment ${String(a['experiment_id'])} by ${String(a['metric'])}.\n\n` +
    'Get the top run for that metric, then fetch the top 5 to compare against.\n' +
    'Compare them side-by-side and summarize which run wins, which params made the difference, and any metric trade-offs.',
  promote_best_model: (a) => {
    const [experimentId, metric, model] = [String(a['experiment_id']), String(a['metric']), String(a['model_name'])];
    return (
      `Promote the best model from experiment ${experimentId} to the registry as "${model}".\n\n` +
      `Find the best logged model by ${metric}. Register it as "${model}" with a selection_metric tag.\n` +
      'Add useful model-level tags (problem_type, framework, asset) and tag the source run as registered.\n' +
      'Assign the "champion" alias to the new version.\n' +
      'Ask the user whether to copy it to a separate production model entry.\n' +
      'Summarize what was done.'
    );
  },
  audit_mlflow_setup: () => AUDIT_PROMPT,
};

/** Prompt parameters: every one is a str except compare_runs_by_ids' run_ids: list[str]. */
function argumentSpec(prompt: PromptDefinition) {
  const properties = Object.fromEntries(
    prompt.arguments.map((arg) => [
      arg.name,
      arg.name === 'run_ids' ? { type: 'array', items: { type: 'string' } } : { type: 'string' },
    ]),
  );
  return { title: prompt.name, properties, required: prompt.arguments.map((arg) => arg.name), mode: 'prompt' as const };
}

/** A Python set's repr of the missing names (declaration order stands in for hash order). */
const pySetRepr = (names: string[]) => `{${names.map(strRepr).join(', ')}}`;

export function renderPrompt(
  name: string,
  args: Record<string, string> | undefined,
): { description: string; messages: { role: 'user'; content: { type: 'text'; text: string } }[] } {
  const prompt = findPrompt(name);
  const render = RENDERERS[name];
  if (!prompt || !render) throw new FastMcpRequestError(`Unknown prompt: ${name}`);
  const provided = args ?? {};
  const missing = prompt.arguments.filter((a) => a.required && !(a.name in provided)).map((a) => a.name);
  if (missing.length > 0) throw new FastMcpRequestError(`Missing required arguments: ${pySetRepr(missing)}`);
  const parsed = parseArguments(argumentSpec(prompt), provided);
  if (!parsed.ok) throw new FastMcpRequestError(`Error rendering prompt ${name}: ${parsed.message}`);
  return {
    description: prompt.description,
    messages: [{ role: 'user', content: { type: 'text', text: render(parsed.values.values) } }],
  };
}
