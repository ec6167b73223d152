import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { CompiledPolicy } from './compile.js';
import { parsePolicy, PolicyError, readPolicyText } from './load.js';

export interface PolicyWatchHandlers {
  /** A valid new version of the file, compiled. */
  onChange(policy: CompiledPolicy): void;
  /** An invalid or unreadable version; the caller keeps the policy it had. */
  onError(error: PolicyError): void;
}

export interface PolicyWatch {
  close(): void;
}

/**
 * Watch one policy file. The directory is watched, not the file: editors save by writing a
 * temporary file and renaming it over the old one, which ends a watch on the old inode.
 * Bursts of events (write + rename + chmod) are debounced into one re-read; a re-read whose text
 * equals the previous one reports nothing.
 */
export function watchPolicyFile(path: string, handlers: PolicyWatchHandlers, { debounceMs = 100 } = {}): PolicyWatch {
  const name = basename(path);
  let timer: NodeJS.Timeout | undefined;
  let lastText: string | undefined;
  let closed = false;

  const reload = () => {
    timer = undefined;
    if (closed) return;
    let text: string;
    try {
      text = readPolicyText(path);
    } catch (error) {
      lastText = undefined;
      handlers.onError(error as PolicyError);
      return;
    }
    if (text === lastText) return;
    lastText = text;
    let policy: CompiledPolicy;
    try {
      policy = parsePolicy(text, path);
    } catch (error) {
      handlers.onError(
        error instanceof PolicyError
          ? error
          : new PolicyError('policy_invalid', path, [{ path: '', message: String(error) }], { cause: error }),
      );
      return;
    }
    handlers.onChange(policy);
  };

  const watcher: FSWatcher = watch(dirname(resolve(path)), { persistent: false }, (_event, file) => {
    // Some platforms omit the file name; then any event in the directory may be ours.
    if (file !== null && file !== name) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(reload, debounceMs);
    timer.unref();
  });
  watcher.on('error', (error) => {
    if (!closed)
      handlers.onError(
        new PolicyError('policy_unreadable', path, [{ path: '', message: `cannot watch the file: ${error.message}` }], {
          cause: error,
        }),
      );
  });

  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      watcher.close();
    },
  };
}
