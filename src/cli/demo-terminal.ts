import { relative } from 'node:path';
import { createInterface } from 'node:readline';
import type { ApprovalEngine } from '../approvals/index.js';
import { describeError } from '../shared/index.js';
import { DEMO_APPROVER } from './demo-config.js';

/**
 * The terminal as an approver: `approve`, `deny <reason>` decide the held call as the seed
 * policy's approver through the approval engine (as `airlock approvals` does); `link` prints a
 * new one-time console login link.
 */
export class TerminalDecisions {
  private readonly lines = createInterface({ input: process.stdin, terminal: false });
  private approvalId: string | undefined;
  /** The line being acted on: its reply is printed before the agent's result. */
  private handling: Promise<void> = Promise.resolve();

  constructor(
    private readonly engine: ApprovalEngine,
    private readonly out: (line?: string) => void,
    private readonly newLink: () => Promise<string>,
  ) {
    this.lines.on('line', (line) => {
      this.handling = this.handling.then(() => this.onLine(line.trim()));
    });
  }

  /** Says how to decide `id`, then accepts decisions for it. */
  async waitFor(id: string, cli: string): Promise<void> {
    this.approvalId = id;
    const link = await this.newLink().catch((error: unknown) => `(no login link: ${describeError(error)})`);
    this.out();
    this.out(`   Approval ${id} waits for you. Decide it any one of these ways:`);
    this.out(`     browser    open this one-time login link, then click Approve (or Deny):`);
    this.out(`                ${link}`);
    this.out(`     here       type  approve  or  deny <reason>  and press Enter`);
    this.out(`     elsewhere  ${cli}`);
    this.out();
  }

  /** The held call has its answer: decisions typed from now on have nothing to decide. */
  async decided(): Promise<void> {
    this.approvalId = undefined;
    await this.handling;
  }

  close(): void {
    this.lines.close();
  }

  private async onLine(line: string): Promise<void> {
    const [word = '', ...rest] = line.split(/\s+/u);
    const reason = rest.join(' ');
    const id = this.approvalId;
    try {
      if (word === 'link') return this.out(`   ${await this.newLink()}`);
      if (word !== 'approve' && word !== 'deny')
        return word === '' ? undefined : this.out('   type approve, deny <reason> or link');
      if (id === undefined) return this.out('   nothing is waiting for a decision');
      if (word === 'deny' && reason === '')
        return this.out('   deny needs a reason, which the agent reads: deny <reason>');
      await this.engine.decide(id, word, DEMO_APPROVER, reason);
      this.out(
        `   ${word === 'approve' ? 'approved' : 'denied'} ${id} as ${DEMO_APPROVER}${reason ? `: ${reason}` : ''}`,
      );
    } catch (error) {
      this.out(`   ${describeError(error)}`);
    }
  }
}

/** The `airlock approvals approve` line for another terminal, as this program was started. */
export function cliHint(id: string, dataDir: string | undefined): string {
  const entry = process.argv[1] ?? 'airlock';
  const near = relative(process.cwd(), entry);
  const cli = near === '' || near.startsWith('..') ? entry : near;
  const where = dataDir !== undefined ? dataDir : process.env.AIRLOCK_HOME;
  return [
    'node',
    shellQuote(cli),
    'approvals approve',
    id,
    '--as',
    DEMO_APPROVER,
    ...(where ? ['--data-dir', shellQuote(where)] : []),
  ].join(' ');
}

function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/u.test(text) ? text : `'${text.replace(/'/gu, `'\\''`)}'`;
}
