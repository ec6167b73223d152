/** The MLflow 3 promotion flow and registry numbering rules, over Streamable HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callTool, dictOf, listOf, onlyText, startHttpStandin, type HttpStandinProcess } from './helpers.js';

const RUN_TUNED = 'a565db8e8544424dda7c3b9747db08b8';
const RUN_BASELINE = '1f32c67417521274adcdd67899f54a0f';
const LOGGED_LGBM = 'm-f4abfb7ffb0d841e572eb32ace1f56d0';
const RUN_LGBM = '83e9d8f4ac321369c59ae9d3ca9ab624';

describe('mlflow-standin registry semantics', () => {
  let standin: HttpStandinProcess;
  const call = (name: string, args: Record<string, unknown> = {}) => callTool(standin.client, name, args);

  beforeAll(async () => {
    standin = await startHttpStandin();
  });
  afterAll(async () => {
    await standin.stop();
  });

  it('register → alias → copy → read back: numbering, copied run_id/tags/description, destination created', async () => {
    // runs:/<run>/model resolves to the run's MLflow 3 LoggedModel.
    const v1 = dictOf(
      await call('register_model', {
        model_name: 'flow-dev',
        model_uri: `runs:/${RUN_TUNED}/model`,
        tags: { selection_metric: 'test/f1', rank: 1 },
      }),
    );
    expect(v1).toEqual({
      name: 'flow-dev',
      version: '1',
      status: 'READY',
      source: 'models:/m-8b7d9cdc9fd9921049fb61248909bcb8',
      run_id: RUN_TUNED,
    });
    // A legacy run with model/MLmodel among its artifacts registers the run artifact location.
    const v2 = dictOf(
      await call('register_model', { model_name: 'flow-dev', model_uri: `runs:/${RUN_BASELINE}/model` }),
    );
    expect(v2).toMatchObject({
      version: '2',
      source: `mlflow-artifacts:/1/${RUN_BASELINE}/artifacts/model`,
      run_id: RUN_BASELINE,
    });
    dictOf(await call('update_model_version', { name: 'flow-dev', version: '1', description: 'best test/f1' }));

    expect(dictOf(await call('set_model_alias', { name: 'flow-dev', alias: 'champion', version: '1' }))).toEqual({
      success: true,
      name: 'flow-dev',
      alias: 'champion',
      version: '1',
    });

    const copy = dictOf(
      await call('copy_model_version', { src_model_name: 'flow-dev', src_version: '1', dst_model_name: 'flow-prod' }),
    );
    expect(copy).toEqual({
      name: 'flow-prod',
      version: '1',
      status: 'READY',
      source: 'models:/flow-dev/1',
      run_id: RUN_TUNED,
    });

    const byAlias = dictOf(await call('get_model_version_by_alias', { name: 'flow-dev', alias: 'champion' }));
    expect(byAlias).toMatchObject({
      name: 'flow-dev',
      version: '1',
      alias: 'champion',
      run_id: RUN_TUNED,
      description: 'best test/f1',
    });
    // register_model applies str() to tag values.
    expect(byAlias['tags']).toEqual({ selection_metric: 'test/f1', rank: '1' });

    const prodVersions = listOf(await call('get_model_versions', { model_name: 'flow-prod' })) as Record<
      string,
      unknown
    >[];
    expect(prodVersions).toHaveLength(1);
    expect(prodVersions[0]).toMatchObject({
      name: 'flow-prod',
      version: '1',
      current_stage: 'None',
      run_id: RUN_TUNED,
      description: 'best test/f1',
      tags: { selection_metric: 'test/f1', rank: '1' },
    });
    const prod = dictOf(await call('get_model_version', { model_name: 'flow-prod', version: '1' }));
    expect(prod['source']).toBe('models:/flow-dev/1');

    // The destination exists now, with no aliases, so get_registered_model works on it ...
    expect(dictOf(await call('get_registered_model', { name: 'flow-prod' }))).toMatchObject({
      name: 'flow-prod',
      aliases: {},
    });
    // ... while the aliased source model hits the upstream `a.alias` bug.
    const crash = await call('get_registered_model', { name: 'flow-dev' });
    expect(crash.isError).toBe(true);
    expect(onlyText(crash)).toBe("Error executing tool get_registered_model: 'str' object has no attribute 'alias'");

    // "latest" and stage names are lookups; alias names are treated as stages and fail.
    expect(
      dictOf(
        await call('copy_model_version', {
          src_model_name: 'flow-dev',
          src_version: 'latest',
          dst_model_name: 'flow-prod',
        }),
      ),
    ).toMatchObject({
      version: '2',
      source: 'models:/flow-dev/2',
    });
    const viaAlias = await call('copy_model_version', {
      src_model_name: 'flow-dev',
      src_version: 'champion',
      dst_model_name: 'flow-prod',
    });
    expect(onlyText(viaAlias)).toBe(
      "Error executing tool copy_model_version: Failed to fetch model version from source model URI: 'models:/flow-dev/champion'. " +
        'Error: INVALID_PARAMETER_VALUE: Invalid Model Version stage: champion. Value must be one of None, Staging, Production, Archived.',
    );
  });

  it('a failed copy does not create the destination', async () => {
    const result = await call('copy_model_version', {
      src_model_name: 'flow-dev',
      src_version: '9',
      dst_model_name: 'never-created',
    });
    expect(onlyText(result)).toBe(
      "Error executing tool copy_model_version: Failed to fetch model version from source model URI: 'models:/flow-dev/9'. " +
        'Error: RESOURCE_DOES_NOT_EXIST: Model Version (name=flow-dev, version=9) not found',
    );
    const names = (listOf(await call('get_registered_models')) as { name: string }[]).map((m) => m.name);
    expect(names).not.toContain('never-created');
  });

  it('soft-deleted versions are invisible but still count for numbering; deleting drops their aliases', async () => {
    for (let i = 1; i <= 3; i++) {
      expect(
        dictOf(await call('register_model', { model_name: 'numbering', model_uri: `models:/${LOGGED_LGBM}` }))[
          'version'
        ],
      ).toBe(String(i));
    }
    dictOf(await call('set_model_alias', { name: 'numbering', alias: 'top', version: '3' }));
    expect(dictOf(await call('delete_model_version', { name: 'numbering', version: '3' }))).toEqual({
      success: true,
      name: 'numbering',
      version: '3',
    });

    expect(
      (listOf(await call('get_model_versions', { model_name: 'numbering' })) as { version: string }[])
        .map((v) => v.version)
        .sort(),
    ).toEqual(['1', '2']);
    const gone = await call('get_model_version', { model_name: 'numbering', version: '3' });
    expect(onlyText(gone)).toBe(
      'Error executing tool get_model_version: RESOURCE_DOES_NOT_EXIST: Model Version (name=numbering, version=3) not found',
    );
    const alias = await call('get_model_version_by_alias', { name: 'numbering', alias: 'top' });
    expect(onlyText(alias)).toBe(
      'Error executing tool get_model_version_by_alias: INVALID_PARAMETER_VALUE: Registered model alias top not found.',
    );

    const next = dictOf(await call('register_model', { model_name: 'numbering', model_uri: `models:/${LOGGED_LGBM}` }));
    expect(next).toMatchObject({ version: '4', run_id: RUN_LGBM });
    // The seed's churn-classifier has a soft-deleted v2 as well.
    expect(
      dictOf(
        await call('register_model', {
          model_name: 'churn-classifier',
          model_uri: 'models:/m-b2ba9af9c64e7f8187805d5868f409f4',
        }),
      )['version'],
    ).toBe('3');
  });

  it('a hard-deleted model re-created under the same name restarts at version 1', async () => {
    expect(dictOf(await call('delete_registered_model', { name: 'numbering' }))).toEqual({
      success: true,
      name: 'numbering',
    });
    expect(listOf(await call('get_model_versions', { model_name: 'numbering' }))).toEqual([]);
    const again = dictOf(
      await call('register_model', { model_name: 'numbering', model_uri: `models:/${LOGGED_LGBM}` }),
    );
    expect(again['version']).toBe('1');
  });

  it('stages: case-insensitive, canonical, archive_existing moves the old holder to Archived', async () => {
    for (let i = 0; i < 2; i++)
      await call('register_model', { model_name: 'staged', model_uri: `models:/${LOGGED_LGBM}` });
    expect(
      dictOf(await call('transition_model_version_stage', { name: 'staged', version: '1', stage: 'PRODUCTION' }))[
        'current_stage'
      ],
    ).toBe('Production');
    expect(
      dictOf(
        await call('transition_model_version_stage', {
          name: 'staged',
          version: '2',
          stage: 'production',
          archive_existing: true,
        }),
      )['current_stage'],
    ).toBe('Production');
    const versions = listOf(await call('get_model_versions', { model_name: 'staged' })) as {
      version: string;
      current_stage: string;
    }[];
    expect(Object.fromEntries(versions.map((v) => [v.version, v.current_stage]))).toEqual({
      '1': 'Archived',
      '2': 'Production',
    });
    const bad = await call('transition_model_version_stage', { name: 'staged', version: '1', stage: 'Prod' });
    expect(onlyText(bad)).toBe(
      'Error executing tool transition_model_version_stage: INVALID_PARAMETER_VALUE: Invalid Model Version stage: Prod. Value must be one of None, Staging, Production, Archived.',
    );
  });

  it('alias names are validated client-side (no error-code prefix)', async () => {
    const cases: [string, string][] = [
      ['', 'Registered model alias name cannot be empty.'],
      [
        'bad alias',
        "Invalid alias name: 'bad alias'. Names may only contain alphanumerics, underscores (_), and dashes (-).",
      ],
      ['Latest', "'latest' alias name (case insensitive) is reserved."],
      ['v2', "Version alias name 'v2' is reserved."],
    ];
    for (const [alias, message] of cases) {
      const result = await call('set_model_alias', { name: 'staged', alias, version: '1' });
      expect(result.isError).toBe(true);
      expect(onlyText(result)).toBe(`Error executing tool set_model_alias: ${message}`);
    }
  });
});
