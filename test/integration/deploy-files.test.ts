import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import draft07 from 'ajv/dist/refs/json-schema-draft-07.json' with { type: 'json' };
import { validate as lintDockerfile } from 'dockerfile-utils';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config/index.js';
import { loadPolicyFile } from '../../src/policy/index.js';
import { randomPrefix } from '../helpers/approvals.js';
import {
  assignments,
  flagsOf,
  inBuildContext,
  parseDockerfile,
  withoutFlags,
  type Stage,
} from '../helpers/dockerfile.js';
import { connectHttp, startGateway, waitFor, type GatewayProcess } from '../helpers/gateway.js';
import { ROOT, STANDIN_CLI, tempDir } from '../helpers/paths.js';

/**
 * The container image and the Compose deployment, checked without a Docker engine: the compose
 * file against the Compose specification's JSON Schema, what the schema cannot say (restart
 * policies, health checks, loopback publishing, mounts, the configs Airlock will load), the
 * Dockerfile through dockerfile-utils and our own rules, and the README's Docker section.
 */

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface ComposeService {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  env_file?: { path: string; required?: boolean }[];
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  restart?: string;
  profiles?: string[];
  hostname?: string;
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const composeText = read('docker-compose.yml');
/** `merge: true`: the file shares the Airlock services' settings through a YAML merge key (`<<: *airlock`). */
const parseCompose = (text: string) => parseYaml(text, { merge: true }) as ComposeFile;
const compose = parseCompose(composeText);
const services = Object.entries(compose.services);
/** The services built from ./Dockerfile: the Airlock gateways. */
const airlockServices = services.filter(([, s]) => s.build !== undefined);

const dockerfileText = read('Dockerfile');
const stages = parseDockerfile(dockerfileText);
const runtime = stages.at(-1)!;
const runtimeEnv = assignments(runtime, 'ENV');
/** The stage that installs mlflow-mcp (its versions are ARG defaults). */
const toolStage = stages.find((s) => s.instructions.some((i) => i.args.includes('uv tool install')))!;

/** Compose's own interpolation of `${NAME}`, `${NAME:-default}` and `${NAME-default}`, for reading defaults. */
function interpolate(text: string, env: Record<string, string> = {}): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g, (_m, name: string, fallback?: string) => {
    const value = env[name];
    return value !== undefined && value !== '' ? value : (fallback ?? '');
  });
}

function commandOf(service: ComposeService): string[] {
  if (!Array.isArray(service.command)) throw new Error('expected the command as a list');
  return service.command;
}

/** `--name=value` or `--name value` in a command list. */
function optionOf(command: string[], name: string): string | undefined {
  const index = command.findIndex((word) => word === name || word.startsWith(`${name}=`));
  if (index === -1) return undefined;
  return command[index]!.includes('=') ? command[index]!.slice(name.length + 1) : command[index + 1];
}

interface BindMount {
  source: string;
  target: string;
}

function bindMounts(service: ComposeService): BindMount[] {
  return (service.volumes ?? [])
    .map((entry) => entry.split(':'))
    .filter(([source]) => source!.startsWith('.') || source!.startsWith('/'))
    .map(([source, target]) => ({ source: source!, target: target! }));
}

/** The repository file behind a path inside the container, through the service's bind mounts. */
function hostPathOf(service: ComposeService, containerPath: string): string {
  const mount = bindMounts(service).find((m) => containerPath === m.target || containerPath.startsWith(`${m.target}/`));
  if (mount === undefined) throw new Error(`${containerPath} is not under a bind mount`);
  return join(ROOT, mount.source, containerPath.slice(mount.target.length));
}

/** host address, host port and container port of a `[address:]host:container` port entry, after interpolation. */
function publishedPorts(service: ComposeService, env: Record<string, string> = {}) {
  return (service.ports ?? []).map((entry) => {
    const parts = interpolate(entry, env).split(':');
    const [container, host, address] = parts.reverse();
    return { address, host: Number(host), container: Number(container) };
  });
}

// ---------------------------------------------------------------------------------------------
// The Compose specification's schema

const composeSchemaText = read('deploy/schema/compose-spec.json');
const validateComposeSchema = (() => {
  // strictTypes off: the specification's schema leaves "type" out beside additionalProperties
  // (valid JSON Schema that Ajv's authoring lint dislikes); unknown keywords and formats still fail.
  const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, strictTypes: false });
  // The schema names its draft as https://…/draft-07/schema; Ajv knows it as http://…#.
  ajv.addMetaSchema({ ...draft07, $id: 'https://json-schema.org/draft-07/schema' });
  return ajv.compile(JSON.parse(composeSchemaText));
})();

function describeSchemaError(error: ErrorObject): string {
  const detail =
    error.keyword === 'additionalProperties'
      ? ` (${String(error.params.additionalProperty)})`
      : error.keyword === 'enum'
        ? ` (${(error.params.allowedValues as unknown[]).join(', ')})`
        : '';
  return `${error.instancePath || '/'}: ${error.message}${detail}`;
}

function schemaProblems(document: unknown): string[] {
  return validateComposeSchema(document) ? [] : (validateComposeSchema.errors ?? []).map(describeSchemaError);
}

describe('docker-compose.yml against the Compose specification', () => {
  it('uses the vendored schema unchanged (the checksum deploy/schema/README.md names)', () => {
    const sha256 = createHash('sha256').update(composeSchemaText).digest('hex');
    expect(read('deploy/schema/README.md')).toContain(sha256);
  });

  it('is valid', () => {
    expect(schemaProblems(compose)).toEqual([]);
  });

  const mutations: [string, (c: ComposeFile) => void, string][] = [
    [
      'a misspelled key',
      (c) => Object.assign(c.services.airlock!, { restrat: 'always' }),
      '/services/airlock: must NOT have additional properties (restrat)',
    ],
    [
      'an unknown depends_on condition',
      (c) => (c.services.airlock!.depends_on!.redis!.condition = 'service_happy'),
      '/services/airlock/depends_on/redis/condition: must be equal to one of the allowed values (service_started, service_healthy, service_completed_successfully)',
    ],
    [
      'an env_file entry without its path',
      (c) => (c.services.airlock!.env_file = [{ required: false } as unknown as { path: string }]),
      "/services/airlock/env_file/0: must have required property 'path'",
    ],
    ['a volume declared as a list', (c) => Object.assign(c, { volumes: ['redis-data'] }), '/volumes: must be object'],
  ];

  it.each(mutations)('names the mistake when a change breaks it: %s', (_what, mutate, expected) => {
    const broken = structuredClone(compose);
    mutate(broken);
    expect(schemaProblems(broken)).toContain(expected);
  });
});

// ---------------------------------------------------------------------------------------------
// What the schema cannot say

describe('docker-compose.yml: what the schema cannot check', () => {
  it('has Redis, MLflow and Airlock by default, and the stand-in deployment only in the demo profile', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['airlock', 'airlock-demo', 'mlflow', 'redis']);
    const profiled = services.filter(([, s]) => s.profiles !== undefined);
    expect(profiled.map(([name, s]) => [name, s.profiles])).toEqual([['airlock-demo', ['demo']]]);
    expect(Object.keys(compose.services['airlock-demo']!.depends_on ?? {})).toEqual(['redis']);
  });

  it('restarts every service by itself and gives every one a health check (the image HEALTHCHECK for Airlock)', () => {
    const imageHealthcheck = runtime.instructions.some((i) => i.keyword === 'HEALTHCHECK' && !/^NONE\b/i.test(i.args));
    for (const [name, service] of services) {
      expect(['always', 'unless-stopped', 'on-failure'], `${name}: restart`).toContain(service.restart);
      const own = service.healthcheck !== undefined && service.healthcheck.disable !== true;
      const fromImage = service.build === '.' && service.healthcheck === undefined && imageHealthcheck;
      expect(own || fromImage, `${name}: health check`).toBe(true);
      if (own) expect(service.healthcheck!.test?.[0], `${name}: healthcheck.test`).toMatch(/^CMD(-SHELL)?$/);
    }
  });

  it('starts each service only once what it depends on is healthy', () => {
    for (const [name, service] of services) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(condition, `${name} → ${dependency}`).toBe('service_healthy');
        expect(compose.services[dependency]?.healthcheck, `${dependency} has a healthcheck`).toBeDefined();
      }
    }
  });

  it("publishes only Airlock's MCP port, on 127.0.0.1 unless AIRLOCK_PUBLISH_ADDRESS opts in", () => {
    for (const [name, service] of services) {
      if (service.build === undefined) {
        expect(service.ports, `${name} publishes nothing: agents reach MLflow and Redis only through Airlock`).toBe(
          undefined,
        );
        continue;
      }
      expect(service.ports!.every((p) => p.startsWith('${AIRLOCK_PUBLISH_ADDRESS:-127.0.0.1}:'))).toBe(true);
      expect(publishedPorts(service).map((p) => p.address)).toEqual(['127.0.0.1']);
      expect(publishedPorts(service, { AIRLOCK_PUBLISH_ADDRESS: '0.0.0.0' }).map((p) => p.address)).toEqual([
        '0.0.0.0',
      ]);
    }
    const hostPorts = airlockServices.map(([, s]) => publishedPorts(s)[0]!.host);
    expect(new Set(hostPorts).size, 'the demo and the main deployment can run side by side').toBe(hostPorts.length);
  });

  it('mounts only files of the repository, and declares every named volume', () => {
    for (const [name, service] of services) {
      for (const { source } of bindMounts(service)) {
        expect(source.startsWith('./'), `${name}: ${source} is relative to the compose file`).toBe(true);
        expect(existsSync(join(ROOT, source)), `${name}: ${source} exists`).toBe(true);
      }
      for (const entry of service.volumes ?? []) {
        const source = entry.split(':')[0]!;
        if (!source.startsWith('.')) expect(compose.volumes, `${name}: volume ${source}`).toHaveProperty([source]);
      }
      for (const file of service.env_file ?? []) {
        // An optional env file is the user's own (git-ignored); its committed example must exist.
        const committed = file.required === false ? `${file.path}.example` : file.path;
        expect(existsSync(join(ROOT, committed)), `${name}: ${committed}`).toBe(true);
      }
      if (service.build !== undefined) expect(existsSync(join(ROOT, service.build, 'Dockerfile'))).toBe(true);
    }
  });

  it('pins every image it pulls to an exact version', () => {
    for (const [name, service] of services.filter(([, s]) => s.build === undefined)) {
      expect(pinProblem(service.image ?? ''), name).toBe(undefined);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The configs the Airlock services run, through Airlock's own loader

/** What each Airlock container gets from Compose, with every `${NAME:-}` pass-through given a test value. */
function containerEnv(service: ComposeService): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([key, value]) => {
      const resolved = interpolate(value);
      return [key, resolved !== '' ? resolved : `test-${key.toLowerCase()}-0123456789abcdef`];
    }),
  );
}

function mountedConfig(service: ComposeService): { file: string; text: string } {
  const containerPath = optionOf(commandOf(service), '--config');
  if (containerPath === undefined) throw new Error('expected serve --config <file>');
  const file = hostPathOf(service, containerPath);
  return { file, text: readFileSync(file, 'utf8') };
}

const dataDirOfImage = runtimeEnv.get('AIRLOCK_HOME')!;

function loadServiceConfig(service: ComposeService, env = containerEnv(service)): Config {
  return loadConfig({ file: mountedConfig(service).file, dataDir: dataDirOfImage, env }).config;
}

describe('the mounted Airlock configs', () => {
  it.each(airlockServices)('%s: every ${VAR} its config needs is passed in by Compose', (_name, service) => {
    const required = [...mountedConfig(service).text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]);
    expect(required.length).toBeGreaterThan(0);
    for (const name of required) expect(Object.keys(service.environment ?? {})).toContain(name);
  });

  it.each(airlockServices)('%s: refuses to start without its grant token, naming the variable', (_name, service) => {
    const [token] = [...mountedConfig(service).text.matchAll(/"token": "\$\{([A-Z_]+)\}"/g)].map((m) => m[1]);
    const env = containerEnv(service);
    delete env[token!];
    expect(() => loadServiceConfig(service, env)).toThrow(`environment variable ${token} is not set`);
  });

  it.each(airlockServices)(
    '%s: loads with the real loader; listens where Compose publishes, on the compose Redis, audit in the data volume',
    (_name, service) => {
      const config = loadServiceConfig(service);
      expect(config.listen.host).toBe('0.0.0.0');
      expect(publishedPorts(service).map((p) => p.container)).toEqual([config.listen.port]);
      // The image's HEALTHCHECK asks this port on 127.0.0.1, which allowed_hosts must accept.
      expect(healthcheckUrl().port).toBe(String(config.listen.port));
      expect(config.listen.allowed_hosts).toContain('127.0.0.1');
      expect(config.listen.allowed_hosts).toContain(service.hostname);
      const redis = new URL(config.redis!.url!);
      expect(compose.services).toHaveProperty([redis.hostname]);
      expect(redis.port || '6379').toBe('6379');
      const dataVolume = (service.volumes ?? [])
        .map((v) => v.split(':'))
        .find(([, target]) => target === dataDirOfImage);
      expect(dataVolume, `a named volume at ${dataDirOfImage}`).toBeDefined();
      expect(config.audit.dir).toBe(join(dataDirOfImage, 'audit'));
      expect(service.hostname, 'a fixed host name keeps the audit chain file across re-creations').toBeDefined();
    },
  );

  it.each(airlockServices)('%s: its policy lies in the mounted folder and validates', (_name, service) => {
    const config = loadServiceConfig(service);
    const mounted = join(ROOT, bindMounts(service)[0]!.source);
    expect(config.policy.startsWith(`${resolve(mounted)}/`)).toBe(true);
    expect(loadPolicyFile(config.policy).default).toBe('deny');
  });

  it('airlock: runs the image-installed mlflow-mcp against the compose MLflow, which accepts that Host', () => {
    const service = compose.services.airlock!;
    const { mlflow } = loadServiceConfig(service).upstreams;
    expect(mlflow).toMatchObject({ command: 'mlflow-mcp' });
    // The Dockerfile puts uv's tool bin directory (where mlflow-mcp is installed) on PATH.
    expect(runtimeEnv.get('PATH')!.split(':')).toContain(runtimeEnv.get('UV_TOOL_BIN_DIR'));
    const tracking = new URL((mlflow as { env: Record<string, string> }).env.MLFLOW_TRACKING_URI!);
    const mlflowCommand = commandOf(compose.services[tracking.hostname]!);
    expect(optionOf(mlflowCommand, '--port')).toBe(tracking.port);
    expect(optionOf(mlflowCommand, '--allowed-hosts')!.split(',')).toContain(tracking.host);
    const health = compose.services[tracking.hostname]!.healthcheck!.test!.join(' ');
    expect(health).toContain(`:${tracking.port}/health`);
  });

  it('airlock-demo: runs the stand-in the image builds into /app/dist, its store in the data volume', () => {
    const service = compose.services['airlock-demo']!;
    const { mlflow } = loadServiceConfig(service).upstreams;
    const { command, args } = mlflow as { command: string; args: string[] };
    expect(command).toBe('node');
    const workdir = runtime.instructions.filter((i) => i.keyword === 'WORKDIR').at(-1)!.args;
    expect(args[0]!.startsWith(`${workdir}/dist/`)).toBe(true);
    expect(join(ROOT, args[0]!.slice(workdir.length))).toBe(STANDIN_CLI);
    expect(existsSync(STANDIN_CLI)).toBe(true);
    expect(optionOf(args, '--state')!.startsWith(`${dataDirOfImage}/`)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// The demo deployment, run for real (with the container's paths mapped onto this checkout)

function healthcheckCommand(): string[] {
  const healthcheck = runtime.instructions.find((i) => i.keyword === 'HEALTHCHECK')!;
  const exec = withoutFlags(healthcheck.args);
  if (!exec.startsWith('CMD [')) throw new Error('expected HEALTHCHECK … CMD ["…"] (exec form)');
  return JSON.parse(exec.slice('CMD '.length)) as string[];
}

function healthcheckUrl(): URL {
  return new URL(/https?:\/\/[^'"\s)]+/.exec(healthcheckCommand().join(' '))![0]);
}

/** The image's HEALTHCHECK command, aimed at `baseUrl` instead of the container's port: its exit code. */
async function runHealthcheck(baseUrl: string): Promise<number | null> {
  const [program, ...args] = healthcheckCommand();
  expect(program).toBe('node');
  const url = healthcheckUrl();
  const aimed = args.map((arg) => arg.replace(url.origin, baseUrl));
  const child = spawn(process.execPath, aimed, { stdio: 'ignore' });
  return new Promise((done) => child.once('exit', (code) => done(code)));
}

describe('the demo deployment, run as the container would', () => {
  const dir = tempDir('airlock-deploy-demo-');
  const token = 'deploy-demo-token-0123456789';
  let gateway: GatewayProcess;

  beforeAll(async () => {
    const service = compose.services['airlock-demo']!;
    const workdir = runtime.instructions.filter((i) => i.keyword === 'WORKDIR').at(-1)!.args;
    const text = mountedConfig(service)
      .text.replaceAll(`"${workdir}/`, `"${ROOT}/`)
      .replaceAll(`"${dataDirOfImage}/`, `"${dir}/`)
      .replace('redis://redis:6379', `unix://${inject('redisPath')}`)
      .replace('"{airlock-demo}"', JSON.stringify(randomPrefix()))
      .replace('"policy.json"', JSON.stringify(join(ROOT, 'deploy', 'airlock', 'policy.json')));
    const config = join(dir, 'airlock.demo.config.json');
    writeFileSync(config, text);
    // Tests listen on loopback only: --host replaces the container's 0.0.0.0, nothing else changes.
    gateway = await startGateway({
      config,
      dataDir: dir,
      args: ['--host', '127.0.0.1'],
      env: { AIRLOCK_DEMO_TOKEN: token },
    });
  });

  afterAll(async () => {
    await gateway?.stop();
  });

  it('serves the stand-in through the seed policy to the grant whose token came from the environment', async () => {
    const agent = await connectHttp(gateway.mcpUrl, token);
    try {
      const names = (await agent.listTools()).tools.map((t) => t.name);
      expect(names).toContain('get_experiments');
      expect(names).not.toContain('delete_registered_model');
    } finally {
      await agent.close();
    }
  });

  it("the image's HEALTHCHECK command passes once /readyz is ready and fails when Airlock is gone", async () => {
    await waitFor(async () => (await runHealthcheck(gateway.baseUrl)) === 0, 20_000, 'the health check to pass');
    await gateway.stop();
    expect(await runHealthcheck(gateway.baseUrl)).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------
// The Dockerfile: dockerfile-utils' diagnostics and our own rules

/** Why an image reference is not pinned to an exact version, or undefined when it is. */
function pinProblem(reference: string): string | undefined {
  if (reference.includes('@sha256:')) return undefined;
  const name = reference.slice(reference.lastIndexOf('/') + 1);
  const tag = name.includes(':') ? name.slice(name.indexOf(':') + 1) : undefined;
  if (tag === undefined) return `${reference}: no tag (means latest)`;
  if (!/^v?\d+\.\d+(\.\d+)?([-.][A-Za-z0-9.-]+)?$/.test(tag)) return `${reference}: tag ${tag} is not an exact version`;
  return undefined;
}

/** `${NAME}` in a RUN, resolved from the stage's ARG defaults and ENV. */
function resolveInStage(stage: Stage, text: string): string {
  const values = new Map([...assignments(stage, 'ARG'), ...assignments(stage, 'ENV')]);
  return text.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (match, name: string) => values.get(name) || match);
}

const MLFLOW_MCP_VERSION = '0.4.0';

function dockerfileProblems(text: string): string[] {
  const all = parseDockerfile(text);
  const final = all.at(-1)!;
  const problems: string[] = [];
  const of = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);

  if (all.length < 2) problems.push('not multi-stage: the runtime image would carry the compiler and dev dependencies');

  const user = of(final, 'USER').at(-1)?.args.split(':')[0];
  if (user === undefined || user === 'root' || user === '0') problems.push('the runtime stage runs as root');

  const healthcheck = of(final, 'HEALTHCHECK').at(-1)?.args ?? '';
  if (!/\/readyz\b/.test(healthcheck)) problems.push('the runtime stage has no HEALTHCHECK on /readyz');
  if (/\b(curl|wget)\b/.test(healthcheck)) problems.push('the HEALTHCHECK needs curl or wget, which the image lacks');

  const runs = of(final, 'RUN').map((i) => i.args);
  const npmInstalls = runs.flatMap((run) => run.split(/&&|;/)).filter((cmd) => /\bnpm (ci|install|i)\b/.test(cmd));
  if (!npmInstalls.some((cmd) => /\bnpm ci\b.*--omit=dev/.test(cmd)))
    problems.push('the runtime stage does not install with npm ci --omit=dev');
  if (npmInstalls.some((cmd) => !/\bnpm ci\b.*--omit=dev/.test(cmd)))
    problems.push('the runtime stage installs dev dependencies (npm install, or npm ci without --omit=dev)');

  const names = new Set<string>();
  for (const stage of all) {
    if (!names.has(stage.image)) {
      const problem = pinProblem(stage.image);
      if (problem !== undefined) problems.push(`base image ${problem}`);
    }
    for (const copy of of(stage, 'COPY')) {
      const from = flagsOf(copy.args).get('from');
      const problem = from === undefined || names.has(from) ? undefined : pinProblem(from);
      if (problem !== undefined) problems.push(`COPY --from ${problem}`);
    }
    if (stage.name !== undefined) names.add(stage.name);
  }

  const installs = all.flatMap((stage) => of(stage, 'RUN').map((run) => resolveInStage(stage, run.args)));
  const mlflowMcp = installs.map((run) => /\bmlflow-mcp==(\S+?)["']?(\s|$)/.exec(run)?.[1]).find(Boolean);
  if (mlflowMcp !== MLFLOW_MCP_VERSION)
    problems.push(`mlflow-mcp is not pinned to ${MLFLOW_MCP_VERSION} (found ${mlflowMcp ?? 'no pin'})`);

  // Code stays root-owned (the process cannot rewrite it); the runtime user owns only its data directory.
  const home = assignments(final, 'ENV').get('AIRLOCK_HOME');
  for (const copy of of(final, 'COPY')) {
    const target = withoutFlags(copy.args).split(/\s+/).at(-1)!;
    if (flagsOf(copy.args).has('chown') && target !== home)
      problems.push(`line ${copy.line}: COPY --chown makes ${target} writable by the runtime user`);
  }
  const ownsHome = runs.some(
    (run) => home !== undefined && run.includes(home) && new RegExp(`(-o ${user}\\b|chown ${user}\\b)`).test(run),
  );
  if (!ownsHome) problems.push(`the data directory (AIRLOCK_HOME ${home ?? 'unset'}) is not created for user ${user}`);
  return problems;
}

function mutate(text: string, from: string | RegExp, to: string): string {
  const changed = text.replace(from, to);
  if (changed === text) throw new Error(`the mutation found nothing to change: ${String(from)}`);
  return changed;
}

describe('Dockerfile', () => {
  it('has no dockerfile-utils diagnostics', () => {
    expect(lintDockerfile(dockerfileText).map((d) => `line ${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
  });

  it('dockerfile-utils reports a broken instruction', () => {
    const broken = mutate(dockerfileText, /HEALTHCHECK [\s\S]*?\n(?=ENTRYPOINT)/, 'HEALTHCHECK CMD\n');
    expect(lintDockerfile(broken).map((d) => d.message)).toContain('Missing command after HEALTHCHECK CMD');
  });

  it('follows our rules: multi-stage, non-root, /readyz health check, npm ci --omit=dev, exact pins, root-owned code', () => {
    expect(dockerfileProblems(dockerfileText)).toEqual([]);
  });

  const breakages: [string, string | RegExp, string, string][] = [
    ['no USER', /^USER .*\n/m, '', 'the runtime stage runs as root'],
    ['USER root', /^USER .*$/m, 'USER root', 'the runtime stage runs as root'],
    [
      'the health check on /healthz',
      '127.0.0.1:8787/readyz',
      '127.0.0.1:8787/healthz',
      'the runtime stage has no HEALTHCHECK on /readyz',
    ],
    [
      'a curl health check',
      /CMD \["node".*\]$/m,
      'CMD curl -f http://127.0.0.1:8787/readyz',
      'the HEALTHCHECK needs curl or wget, which the image lacks',
    ],
    [
      'dev dependencies in the runtime stage',
      'npm ci --omit=dev',
      'npm ci',
      'the runtime stage does not install with npm ci --omit=dev',
    ],
    [
      'a floating base image',
      /node:[^ ]+ AS runtime/,
      'node:latest AS runtime',
      'base image node:latest: tag latest is not an exact version',
    ],
    [
      'an untagged image',
      'ghcr.io/astral-sh/uv:0.13.0',
      'ghcr.io/astral-sh/uv',
      'base image ghcr.io/astral-sh/uv: no tag (means latest)',
    ],
    [
      'an unpinned mlflow-mcp',
      '"mlflow-mcp==${MLFLOW_MCP_VERSION}"',
      'mlflow-mcp',
      'mlflow-mcp is not pinned to 0.4.0 (found no pin)',
    ],
    [
      'code owned by the runtime user',
      'COPY --from=build /src/dist dist',
      'COPY --chown=1000:1000 --from=build /src/dist dist',
      'COPY --chown makes dist writable by the runtime user',
    ],
    [
      'a data directory the runtime user cannot write',
      /install -d -o 1000 -g 1000 -m 0700 \/var\/lib\/airlock/,
      'install -d -m 0700 /var/lib/airlock',
      'the data directory (AIRLOCK_HOME /var/lib/airlock) is not created for user 1000',
    ],
  ];

  it.each(breakages)('catches %s', (_what, from, to, expected) => {
    expect(dockerfileProblems(mutate(dockerfileText, from, to)).join('\n')).toContain(expected);
  });

  it('catches a single-stage build', () => {
    const single = dockerfileText.slice(dockerfileText.indexOf('FROM node:26.12.1-bookworm-slim AS runtime'));
    expect(dockerfileProblems(single)).toContain(
      'not multi-stage: the runtime image would carry the compiler and dev dependencies',
    );
  });

  it('pins the MLflow client mlflow-mcp uses to the tracking server image of docker-compose.yml', () => {
    const client = /\bmlflow==(\S+?)["']?(\s|$)/.exec(resolveInStage(toolStage, dockerfileText))?.[1];
    expect(`v${client}`).toBe(compose.services.mlflow!.image!.split(':').at(-1));
  });
});

describe('.dockerignore', () => {
  const ignore = read('.dockerignore');

  it('lets in everything the Dockerfile copies from the build context', () => {
    const sources = stages.flatMap((stage) =>
      stage.instructions
        .filter((i) => i.keyword === 'COPY' && !flagsOf(i.args).has('from'))
        .flatMap((i) => withoutFlags(i.args).split(/\s+/).slice(0, -1)),
    );
    expect(sources.length).toBeGreaterThan(5);
    for (const source of sources) {
      expect(existsSync(join(ROOT, source)), source).toBe(true);
      expect(inBuildContext(ignore, source), source).toBe(true);
    }
    for (const file of ['src/cli.ts', 'src/redis/scripts', 'standin/src/cli.ts', 'standin/src/seed.json']) {
      expect(inBuildContext(ignore, file), file).toBe(true);
    }
  });

  it('keeps out dependencies, build output, tests, git, local state and secrets', () => {
    for (const path of [
      'node_modules/zod/package.json',
      'dist/cli.js',
      '.git/HEAD',
      '.airlock/test-results.json',
      '.env',
      'deploy/slack.env',
      'test/integration/deploy-files.test.ts',
      'src/config/load.test.ts',
      'standin/test/standin.test.ts',
    ]) {
      expect(inBuildContext(ignore, path), path).toBe(false);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The README's Docker section names only what exists

describe('README "Deploying with Docker"', () => {
  const readme = read('README.md');
  const start = readme.indexOf('\n## Deploying with Docker\n');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const mountTargets = services.flatMap(([, s]) => (s.volumes ?? []).map((v) => v.split(':')[1]!));

  it('exists, just before "Many processes, one setup"', () => {
    expect(start).toBeGreaterThan(0);
    expect(readme.slice(start + section.length)).toMatch(/^\n## Many processes, one setup\n/);
  });

  it('names only files of the repository and paths Compose mounts', () => {
    const paths = [...section.matchAll(/`([^`\s]+)`/g)]
      .map((m) => m[1]!)
      .filter((token) => /^(\.\/|\/)?[\w.-]+\/[\w./-]*$/.test(token) || /\.(json|ya?ml|example)$/.test(token))
      .filter((token) => !token.includes('://'));
    expect(paths.length).toBeGreaterThan(3);
    for (const path of paths) {
      if (path.startsWith('/'))
        expect(
          mountTargets.some((t) => path === t || path.startsWith(`${t}/`)),
          `${path} is a mounted path`,
        ).toBe(true);
      else expect(existsSync(join(ROOT, path)), `${path} exists`).toBe(true);
    }
  });

  it('runs only services the compose file has, and only ports it publishes', () => {
    // A command runs to the end of its inline code or line, shell comments left out.
    const commands = [...section.matchAll(/docker compose ([^`\n#]*)/g)].map((m) => m[1]!.trim().split(/\s+/));
    expect(commands.length).toBeGreaterThan(1);
    for (const words of commands) {
      const positional = words.filter((w, i) => !w.startsWith('-') && !['--profile', '-f'].includes(words[i - 1]!));
      const [subcommand, ...rest] = positional;
      const named = subcommand === 'exec' || subcommand === 'run' ? rest.slice(0, 1) : rest;
      for (const name of named) expect(compose.services, `docker compose ${words.join(' ')}`).toHaveProperty([name]);
    }
    const published = airlockServices.map(([, s]) => publishedPorts(s)[0]!.host);
    for (const [, port] of section.matchAll(/(?:127\.0\.0\.1|localhost):(\d{2,5})/g))
      expect(published).toContain(Number(port));
  });

  it('names only variables and versions the deployment files use', () => {
    const deployFiles = [
      composeText,
      resolveInStage(toolStage, dockerfileText),
      read('deploy/airlock/airlock.config.json'),
      read('deploy/airlock/airlock.demo.config.json'),
      read('deploy/slack.env.example'),
    ].join('\n');
    for (const [variable] of section.matchAll(/\b(?:AIRLOCK|MLFLOW|SLACK)_[A-Z_]+\b/g))
      expect(deployFiles, variable).toContain(variable);
    const versions = [...section.matchAll(/`([\w./-]+(?::|==)v?\d+\.\d+\.\d+[\w.-]*)`/g)].map((m) => m[1]!);
    expect(versions.length).toBeGreaterThan(3);
    for (const version of versions) expect(deployFiles, version).toContain(version);
  });
});
