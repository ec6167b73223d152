/** Python-compatible formatting, and the stand-in used in-process through createStandinServer. */
import { describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { floatRepr, floatToJson, pyFloat, pyRepr, toPyJson } from '../src/python-format.js';
import { builtInSeed, createStandinServer, StandinStore } from '../src/index.js';
import { callTool, dictOf, onlyText } from './helpers.js';

describe('python-compatible formatting', () => {
  it('prints floats as pydantic_core.to_json (serde/ryu) does', () => {
    const cases: [number, string][] = [
      [1, '1.0'],
      [0, '0.0'],
      [0.95, '0.95'],
      [-2.5, '-2.5'],
      [123456, '123456.0'],
      [1e15, '1000000000000000.0'],
      [1e16, '1e16'],
      [1.5e17, '1.5e17'],
      [0.00001, '0.00001'],
      [1e-6, '1e-6'],
      [1.25e-7, '1.25e-7'],
      [NaN, 'null'],
      [Infinity, 'null'],
    ];
    for (const [value, text] of cases) expect(floatToJson(value), String(value)).toBe(text);
  });

  it('prints floats as Python repr() does', () => {
    const cases: [number, string][] = [
      [1, '1.0'],
      [0.0001, '0.0001'],
      [0.00001, '1e-05'],
      [1e16, '1e+16'],
      [1.5e-7, '1.5e-07'],
      [NaN, 'nan'],
      [-Infinity, '-inf'],
    ];
    for (const [value, text] of cases) expect(floatRepr(value), String(value)).toBe(text);
  });

  it('reprs JSON values the Python way', () => {
    expect(pyRepr({ a: [1, 2.5, 'x', null, true], "it's": 'say "hi"' })).toBe(
      `{'a': [1, 2.5, 'x', None, True], "it's": 'say "hi"'}`,
    );
    expect(pyRepr("it's")).toBe(`"it's"`);
    expect(pyRepr('both \' and "')).toBe(`'both \\' and "'`);
    expect(pyRepr('tab\tnew\nline')).toBe(`'tab\\tnew\\nline'`);
  });

  it('indents like to_json(indent=2), with empty containers inline and UTF-8 unescaped', () => {
    expect(toPyJson({ v: pyFloat(1), n: 3, e: {}, l: [], s: 'café', nested: { x: [pyFloat(0.5)] } })).toBe(
      '{\n  "v": 1.0,\n  "n": 3,\n  "e": {},\n  "l": [],\n  "s": "café",\n  "nested": {\n    "x": [\n      0.5\n    ]\n  }\n}',
    );
  });
});

describe('createStandinServer in-process', () => {
  it('serves a store over any transport and reports changes', async () => {
    let changes = 0;
    const store = new StandinStore(builtInSeed(), { onChange: () => (changes += 1) });
    const server = createStandinServer(store, { trackingUri: 'http://mlflow.internal:5000' });
    const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = new Client({ name: 'in-process', version: '1.0.0' });
    await client.connect(clientSide);
    try {
      expect(dictOf(await callTool(client, 'health'))['tracking_uri']).toBe('http://mlflow.internal:5000');
      await callTool(client, 'set_registered_model_tag', { name: 'legacy-scorer', key: 'owner', value: 'ops' });
      expect(changes).toBe(1);
      expect(store.snapshot().registered_models.find((m) => m.name === 'legacy-scorer')?.tags).toEqual({
        owner: 'ops',
      });
      // The retried-500 quirk names the configured tracking server.
      const archived = await callTool(client, 'transition_model_version_stage', {
        name: 'legacy-scorer',
        version: '1',
        stage: 'Archived',
        archive_existing: true,
      });
      expect(onlyText(archived)).toBe(
        'Error executing tool transition_model_version_stage: API request to http://mlflow.internal:5000/api/2.0/mlflow/model-versions/transition-stage ' +
          "failed with exception HTTPConnectionPool(host='mlflow.internal', port=5000): Max retries exceeded with url: " +
          "/api/2.0/mlflow/model-versions/transition-stage (Caused by ResponseError('too many 500 error responses'))",
      );
    } finally {
      await client.close();
    }
  });
});
