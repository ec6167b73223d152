/**
 * The MLflow stand-in's destructive tools (mlflow-mcp 0.4 annotates these `destructiveHint: true`):
 * the five deletes and the legacy stage transition, which can archive the versions in a stage.
 */
export const STANDIN_DESTRUCTIVE_TOOLS = [
  'delete_experiment',
  'delete_model_alias',
  'delete_model_version',
  'delete_registered_model',
  'delete_run',
  'transition_model_version_stage',
] as const;
