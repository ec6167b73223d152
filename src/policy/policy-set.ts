import { EventEmitter } from 'node:events';
import type { CompiledPolicy } from './compile.js';
import { loadPolicyFile, type PolicyError } from './load.js';
import { watchPolicyFile, type PolicyWatch } from './watch.js';

/** The two log calls a PolicySet makes (a pino Logger fits). */
export interface PolicyLog {
  info(details: object, message: string): void;
  error(details: object, message: string): void;
}

/** What a PolicySet needs to know of a grant: its own policy file, if it has one. */
export interface PolicyGrant {
  name: string;
  policy?: string | undefined;
}

/**
 * The policies in force: the global file plus any per-grant files, each loaded once at start
 * (an invalid file stops the start) and then watched. A valid edit replaces that file's policy
 * for the next call and emits "changed"; an invalid edit is logged and the previous policy stays.
 */
export class PolicySet extends EventEmitter<{ changed: [file: string] }> {
  private readonly current = new Map<string, CompiledPolicy>();
  private readonly watches: PolicyWatch[] = [];
  /** Files whose last edit was rejected (the previous policy is in force), with why. */
  private readonly rejected = new Map<string, string>();

  private constructor(private readonly globalFile: string) {
    super();
  }

  /** @throws PolicyError for the first file that cannot be loaded. */
  static open(globalFile: string, grants: readonly PolicyGrant[], log: PolicyLog, { watch = true } = {}): PolicySet {
    const set = new PolicySet(globalFile);
    const files = new Set([globalFile, ...grants.flatMap((g) => (g.policy === undefined ? [] : [g.policy]))]);
    for (const file of files) set.current.set(file, loadPolicyFile(file));
    if (!watch) return set;
    for (const file of files) {
      set.watches.push(
        watchPolicyFile(file, {
          onChange: (policy) => {
            set.current.set(file, policy);
            set.rejected.delete(file);
            log.info({ file }, 'policy reloaded');
            set.emit('changed', file);
          },
          onError: (error: PolicyError) => {
            set.rejected.set(file, error.message.split('\n')[0] ?? error.message);
            log.error(
              { file, code: error.code, issues: error.issues },
              `policy change rejected, previous policy stays in force:\n${error.message}`,
            );
          },
        }),
      );
    }
    return set;
  }

  /** The policy for a grant: its own file if it names one, else the global one. */
  policyFor(grant: Pick<PolicyGrant, 'policy'>): CompiledPolicy {
    const policy = this.current.get(grant.policy ?? this.globalFile);
    if (policy === undefined) throw new Error(`no policy loaded for ${grant.policy ?? this.globalFile}`);
    return policy;
  }

  /** The files in force, and the ones whose last edit was rejected (for /readyz). */
  status(): { files: string[]; rejected: { file: string; error: string }[] } {
    return {
      files: [...this.current.keys()],
      rejected: [...this.rejected].map(([file, error]) => ({ file, error })),
    };
  }

  close(): void {
    for (const watch of this.watches.splice(0)) watch.close();
  }
}
