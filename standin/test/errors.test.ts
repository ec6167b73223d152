/** Error results worded as the real server words them (spec §2, §5). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callTool, onlyText, startStdioStandin, type StdioStandin } from './helpers.js';

describe('mlflow-standin error wording', () => {
  let standin: StdioStandin;
  const call = (name: string, args: Record<string, unknown> = {}) => callTool(standin.client, name, args);

  /** The text of an error result (isError, one block, no structuredContent). */
  async function errorText(name: string, args: Record<string, unknown> = {}): Promise<string> {
    const result = await call(name, args);
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toBeUndefined();
    return onlyText(result);
  }

  beforeAll(async () => {
    standin = await startStdioStandin();
  });
  afterAll(async () => {
    await standin.close();
  });

  it('unknown tool: an isError result reading "Unknown tool: <name>", not a JSON-RPC error', async () => {
    expect(await errorText('create_experiment', { name: 'x' })).toBe('Unknown tool: create_experiment');
  });

  it('unknown registered model', async () => {
    expect(await errorText('get_registered_model', { name: 'no-such-model' })).toBe(
      'Error executing tool get_registered_model: RESOURCE_DOES_NOT_EXIST: Registered Model with name=no-such-model not found',
    );
    expect(await errorText('delete_registered_model', { name: 'no-such-model' })).toBe(
      'Error executing tool delete_registered_model: RESOURCE_DOES_NOT_EXIST: Registered Model with name=no-such-model not found',
    );
  });

  it('unknown and malformed versions', async () => {
    expect(await errorText('get_model_version', { model_name: 'fraud-detector-dev', version: '42' })).toBe(
      'Error executing tool get_model_version: RESOURCE_DOES_NOT_EXIST: Model Version (name=fraud-detector-dev, version=42) not found',
    );
    expect(
      await errorText('update_model_version', { name: 'fraud-detector-dev', version: 'abc', description: 'x' }),
    ).toBe(
      "Error executing tool update_model_version: INVALID_PARAMETER_VALUE: Parameter 'version' must be an integer, got 'abc'.",
    );
  });

  it('missing required argument: the pydantic ValidationError text', async () => {
    expect(await errorText('get_run')).toBe(
      'Error executing tool get_run: 1 validation error for get_runArguments\nrun_id\n' +
        '  Field required [type=missing, input_value={}, input_type=dict]\n' +
        '    For further information visit https://errors.pydantic.dev/2.13/v/missing',
    );
    // input_value is the repr of the whole arguments dict; several errors are numbered.
    expect(await errorText('set_model_alias', { name: 'fraud-detector-dev', extra: [1, 'two', null, true] })).toBe(
      'Error executing tool set_model_alias: 2 validation errors for set_model_aliasArguments\n' +
        "alias\n  Field required [type=missing, input_value={'name': 'fraud-detector-... [1, 'two', None, True]}, input_type=dict]\n" +
        '    For further information visit https://errors.pydantic.dev/2.13/v/missing\n' +
        "version\n  Field required [type=missing, input_value={'name': 'fraud-detector-... [1, 'two', None, True]}, input_type=dict]\n" +
        '    For further information visit https://errors.pydantic.dev/2.13/v/missing',
    );
  });

  it('a str parameter given a number is rejected, not coerced', async () => {
    expect(await errorText('get_model_version', { model_name: 'fraud-detector-dev', version: 3 })).toBe(
      'Error executing tool get_model_version: 1 validation error for get_model_versionArguments\nversion\n' +
        '  Input should be a valid string [type=string_type, input_value=3, input_type=int]\n' +
        '    For further information visit https://errors.pydantic.dev/2.13/v/string_type',
    );
  });

  it('int, bool and list parameters reject what pydantic rejects', async () => {
    expect(await errorText('get_runs', { experiment_id: '1', limit: 'many', order_by: 'metrics.auc' })).toBe(
      'Error executing tool get_runs: 2 validation errors for get_runsArguments\n' +
        "limit\n  Input should be a valid integer, unable to parse string as an integer [type=int_parsing, input_value='many', input_type=str]\n" +
        '    For further information visit https://errors.pydantic.dev/2.13/v/int_parsing\n' +
        "order_by\n  Input should be a valid list [type=list_type, input_value='metrics.auc', input_type=str]\n" +
        '    For further information visit https://errors.pydantic.dev/2.13/v/list_type',
    );
    expect(await errorText('compare_runs', { experiment_id: '1', run_ids: ['a', 7] })).toContain(
      'run_ids.1\n  Input should be a valid string [type=string_type, input_value=7, input_type=int]',
    );
    expect(await errorText('get_best_run', { experiment_id: '1', metric: 'auc', ascending: 'maybe' })).toContain(
      "ascending\n  Input should be a valid boolean, unable to interpret input [type=bool_parsing, input_value='maybe', input_type=str]",
    );
  });

  it('tracking errors', async () => {
    expect(await errorText('get_run', { run_id: 'deadbeef' })).toBe(
      'Error executing tool get_run: RESOURCE_DOES_NOT_EXIST: Run with id=deadbeef not found',
    );
    expect(await errorText('get_experiment_by_name', { name: 'nope' })).toBe(
      "Error executing tool get_experiment_by_name: Experiment with name 'nope' not found",
    );
    expect(await errorText('get_model_version', { model_name: 'legacy-scorer', version: '1' })).toBe(
      'Error executing tool get_model_version: Model legacy-scorer v1 has no associated run',
    );
    expect(await errorText('get_logged_model', { model_id: 'm-missing' })).toBe(
      "Error executing tool get_logged_model: RESOURCE_DOES_NOT_EXIST: Logged model with ID 'm-missing' not found.",
    );
    expect(
      await errorText('search_logged_models', { experiment_ids: ['1'], datasets: [{ name: 'val', digest: 'abc' }] }),
    ).toBe("Error executing tool search_logged_models: 'dataset_name'");
  });

  it('filter strings outside the supported grammar fail the MLflow way', async () => {
    expect(await errorText('query_runs', { experiment_id: '1', query: "metrics.auc > 0.9 OR params.x = 'y'" })).toBe(
      "Error executing tool query_runs: INVALID_PARAMETER_VALUE: Invalid clause(s) in filter string: 'OR params.x = 'y''",
    );
    expect(await errorText('query_runs', { experiment_id: '1', query: "metrics.auc > 'high'" })).toBe(
      "Error executing tool query_runs: INVALID_PARAMETER_VALUE: Expected numeric value type for metric. Found 'high'",
    );
    expect(await errorText('search_experiments', { filter_string: "owner = 'me'" })).toBe(
      "Error executing tool search_experiments: INVALID_PARAMETER_VALUE: Invalid attribute key 'owner' specified. " +
        "Valid keys are '{'name', 'creation_time', 'last_update_time'}'",
    );
  });

  it('artifacts that are directories or binary cannot be read as text', async () => {
    const dir = await errorText('get_artifact_content', {
      run_id: '1f32c67417521274adcdd67899f54a0f',
      artifact_path: 'model',
    });
    expect(dir).toMatch(
      /^Error executing tool get_artifact_content: \[Errno 21\] Is a directory: '\/.+\/tmp\w{8}\/model'$/,
    );
    expect(
      await errorText('get_artifact_content', {
        run_id: '1f32c67417521274adcdd67899f54a0f',
        artifact_path: 'model/model.pkl',
      }),
    ).toBe(
      "Error executing tool get_artifact_content: 'utf-8' codec can't decode byte 0x80 in position 0: invalid start byte",
    );
  });

  it('health never reports an error result', async () => {
    const result = await call('health');
    expect(result.isError).toBe(false);
  });
});
