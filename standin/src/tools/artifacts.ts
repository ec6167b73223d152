/** Artifact tools (spec §3 #11, 12, 24): a virtual tree per run, downloaded to real temp files. */
import { statSync } from 'node:fs';
import { PythonError } from '../errors.js';
import type { Run } from '../store-schema.js';
import { artifactBytes, type ArtifactNode } from '../tracking-store.js';
import type { ToolContext, ToolHandlers } from './context.js';

/** The artifact repository URL the client talks to for `mlflow-artifacts:` locations. */
function resolvedArtifactUri(run: Run, trackingUri: string): string {
  const m = /^mlflow-artifacts:\/+(.*)$/.exec(run.artifact_uri);
  return m ? `${trackingUri.replace(/\/+$/, '')}/api/2.0/mlflow-artifacts/artifacts/${m[1]}` : run.artifact_uri;
}

/**
 * download_artifacts on a missing path: ArtifactRepository collects the failed file download.
 * The inner text is the HTTP artifact repository's 404 (approximate: it depends on the backend).
 */
function downloadFailure(run: Run, path: string, trackingUri: string): PythonError {
  const base = resolvedArtifactUri(run, trackingUri);
  return new PythonError(
    `The following failures occurred while downloading one or more artifacts from ${base}:\n` +
      `##### File ${path} #####\n404 Client Error: Not Found for url: ${base}/${path}`,
  );
}

function download(ctx: ToolContext, runId: string, artifactPath: string): { localPath: string; node: ArtifactNode } {
  const run = ctx.store.tracking.getRun(runId);
  const node = ctx.store.tracking.findArtifact(run, artifactPath);
  if (!node) throw downloadFailure(run, artifactPath, ctx.trackingUri);
  return { localPath: ctx.downloads.download(node), node };
}

/** Python's strict UTF-8 decode error text, e.g. for a pickle starting with 0x80. */
function utf8DecodeError(bytes: Buffer): string | undefined {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return undefined;
  } catch {
    // Find the first bad byte the way CPython reports it.
    for (let i = 0; i < bytes.length;) {
      const b = bytes[i] ?? 0;
      const need =
        b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
      const hex = `0x${b.toString(16).padStart(2, '0')}`;
      if (need < 0) return `'utf-8' codec can't decode byte ${hex} in position ${i}: invalid start byte`;
      for (let k = 1; k <= need; k++) {
        const c = bytes[i + k];
        if (c === undefined) return `'utf-8' codec can't decode byte ${hex} in position ${i}: unexpected end of data`;
        if ((c & 0xc0) !== 0x80)
          return `'utf-8' codec can't decode byte ${hex} in position ${i}: invalid continuation byte`;
      }
      i += need + 1;
    }
    return `'utf-8' codec can't decode bytes in position 0-${bytes.length - 1}: invalid data`;
  }
}

export const artifactTools: ToolHandlers = {
  get_run_artifacts: (a, ctx) => {
    const runId = a.str('run_id');
    return ctx.store.tracking
      .listArtifacts(runId, a.str('path'))
      .map((f) => ({ run_id: runId, path: f.path, is_dir: f.is_dir, file_size: f.file_size }));
  },

  /** size_bytes is os.path.getsize of what was written (a directory's own size for directories). */
  get_run_artifact: (a, ctx) => {
    const [runId, artifactPath] = [a.str('run_id'), a.str('artifact_path')];
    const { localPath } = download(ctx, runId, artifactPath);
    return { local_path: localPath, run_id: runId, artifact_path: artifactPath, size_bytes: statSync(localPath).size };
  },

  /** `open(local_path, "r").read()`: text mode, so universal newlines; directories and binaries fail. */
  get_artifact_content: (a, ctx) => {
    const { localPath, node } = download(ctx, a.str('run_id'), a.str('artifact_path'));
    if (node.kind === 'dir') throw new PythonError(`[Errno 21] Is a directory: '${localPath}'`);
    const bytes = artifactBytes(node.artifact);
    const decodeError = utf8DecodeError(bytes);
    if (decodeError) throw new PythonError(decodeError);
    return bytes.toString('utf8').replace(/\r\n?/g, '\n');
  },
};
