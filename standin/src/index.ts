/** The MLflow MCP stand-in: build a Server in-process, or run it as a process (its command line included). */
export { createStandinServer, callStandinTool, type StandinServerOptions } from './server.js';
export { StandinStore, builtInSeed } from './store.js';
export { openStore, type OpenStoreOptions } from './open-store.js';
export { readStateFile, writeStateFileAtomic } from './state-file.js';
export { parseStoreState, type StoreState } from './store-schema.js';
export { serveStandinHttp, type HttpStandin } from './http.js';
export { runStandin, type RunStandinOptions } from './run.js';
export { TOOLS, PROMPTS, TOOL_NAMES, INSTRUCTIONS, SERVER_NAME, SERVER_VERSION } from './catalog.js';
export { runStandinCli } from './command.js';
