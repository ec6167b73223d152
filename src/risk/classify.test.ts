import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { STANDIN_DESTRUCTIVE_TOOLS } from '../../test/helpers/standin.js';
import { classifyTool, type ClassifiedTool } from './index.js';

const standinTools = (
  JSON.parse(readFileSync(new URL('../../standin/src/mlflow-mcp.tools.json', import.meta.url), 'utf8')) as {
    tools: ClassifiedTool[];
  }
).tools;

describe('risk classes of the 40 MLflow tools (the stand-in publishes mlflow-mcp 0.4 byte for byte)', () => {
  const classes = new Map(standinTools.map((tool) => [tool.name, classifyTool(tool)]));

  it('classes every read-only tool read, low risk, with high confidence', () => {
    const reads = standinTools.filter((t) => t.annotations?.readOnlyHint === true);
    expect(reads).toHaveLength(27);
    for (const tool of reads)
      expect(classes.get(tool.name), tool.name).toMatchObject({ category: 'read', level: 'low', confidence: 'high' });
  });

  it('classes the tools annotated destructive as destructive, high risk', () => {
    const destructive = standinTools.filter((t) => t.annotations?.destructiveHint === true).map((t) => t.name);
    expect(destructive.sort()).toEqual([...STANDIN_DESTRUCTIVE_TOOLS]);
    for (const name of destructive)
      expect(classes.get(name), name).toMatchObject({ category: 'destructive', level: 'high', source: 'annotations' });
  });

  it('classes the other writes (readOnlyHint false, no destructiveHint) by their names, medium risk', () => {
    const writes = [...classes].filter(([, c]) => c.category === 'write').map(([name]) => name);
    expect(writes.sort()).toEqual([
      'copy_model_version',
      'register_model',
      'set_experiment_tag',
      'set_model_alias',
      'set_registered_model_tag',
      'set_run_tag',
      'update_model_version',
    ]);
    expect(classes.get('copy_model_version')).toMatchObject({
      category: 'write',
      level: 'medium',
      confidence: 'medium',
      source: 'name',
      reason: expect.stringContaining('the name says "copy"'),
    });
  });
});

describe('classifyTool', () => {
  const tool = (name: string, annotations?: ClassifiedTool['annotations'], description?: string): ClassifiedTool => ({
    name,
    ...(annotations ? { annotations } : {}),
    ...(description ? { description } : {}),
  });

  it('takes the riskier class when the annotations contradict the name, with low confidence', () => {
    expect(classifyTool(tool('delete_everything', { readOnlyHint: true }))).toMatchObject({
      category: 'destructive',
      confidence: 'low',
      source: 'name',
      reason: 'readOnlyHint: true, but the name says "delete": the riskier class is taken',
    });
    expect(classifyTool(tool('purge_cache', { readOnlyHint: false, destructiveHint: false }))).toMatchObject({
      category: 'destructive',
      confidence: 'low',
    });
    expect(classifyTool(tool('get_report', { readOnlyHint: false, destructiveHint: true }))).toMatchObject({
      category: 'destructive',
      confidence: 'low',
      source: 'annotations',
    });
  });

  it('reads a writing verb as compatible with a destructive annotation', () => {
    expect(classifyTool(tool('write_file', { readOnlyHint: false, destructiveHint: true }))).toMatchObject({
      category: 'destructive',
      confidence: 'high',
    });
  });

  it('falls back on the name, then the description, then the spec: destructive', () => {
    expect(classifyTool(tool('deleteUser'))).toMatchObject({
      category: 'destructive',
      source: 'name',
      confidence: 'medium',
    });
    expect(classifyTool(tool('directory_tree', undefined, 'Get a recursive tree view of files.'))).toMatchObject({
      category: 'read',
      source: 'description',
      confidence: 'low',
    });
    expect(classifyTool(tool('frobnicate', undefined, 'Frobnicates the widget.'))).toMatchObject({
      category: 'destructive',
      source: 'default',
      confidence: 'low',
    });
    expect(classifyTool(tool('save_note', undefined, 'Save a note, replacing any note of that title.'))).toMatchObject({
      category: 'destructive',
      reason: 'no annotations; the name says "save" and the description "replacing"',
    });
  });

  it('raises the level a step for open-world tools (openWorldHint: true)', () => {
    expect(classifyTool(tool('fetch_url', { readOnlyHint: true, openWorldHint: true }))).toMatchObject({
      category: 'read',
      openWorld: true,
      level: 'medium',
    });
    expect(
      classifyTool(tool('post_message', { readOnlyHint: false, destructiveHint: false, openWorldHint: true })),
    ).toMatchObject({
      category: 'write',
      level: 'high',
    });
    expect(classifyTool(tool('get_x', { readOnlyHint: true }))).toMatchObject({ openWorld: false, level: 'low' });
  });
});
