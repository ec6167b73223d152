import type { ModalView } from '@slack/types';
import {
  authorizeDecision,
  isApprovalError,
  type ApprovalEngine,
  type ApprovalView,
  type GroupResolver,
} from '../approvals/index.js';
import { describeError, type Logger } from '../shared/index.js';
import { denyModal, ephemeral, type DenyModalMetadata } from './messages.js';

/** Sends an ephemeral text to the person who clicked (response_url, or chat.postEphemeral). */
export type Reply = (text: string) => Promise<void>;

export interface InteractionDeps {
  engine: ApprovalEngine;
  groups: GroupResolver;
  /** Re-render the approval's message from its current state (a forced outbox sync). */
  refresh: (approvalId: string) => Promise<void>;
  openModal: (triggerId: string, view: ModalView) => Promise<void>;
  log: Logger;
}

/**
 * What a click or a modal submission does, after Bolt has acked it. Decisions go through
 * engine.decide() like the CLI's and the console's; refusals become ephemeral answers. The
 * message itself is updated by the outbox job that every transition enqueues.
 */
export class Interactions {
  constructor(private readonly deps: InteractionDeps) {}

  async approve(approvalId: string, user: string, reply: Reply): Promise<void> {
    try {
      const { effect, approval } = await this.deps.engine.decide(approvalId, 'approve', user);
      this.deps.log.info({ approval: approvalId, by: user, effect }, 'approval decided in Slack');
      if (effect === 'approval_counted') await reply(ephemeral.counted(approval));
      else if (effect === 'already_approved_by_you') await reply(ephemeral.alreadyYours(approval));
    } catch (error) {
      await this.refused(error, approvalId, reply);
    }
  }

  /** The Deny button: check what can be checked now, then open the reason modal (the trigger lives 3 s). */
  async denyClicked(
    approvalId: string,
    user: string,
    triggerId: string,
    where: Omit<DenyModalMetadata, 'id'>,
    reply: Reply,
  ): Promise<void> {
    try {
      const view = await this.deps.engine.get(approvalId);
      if (view.state !== 'pending') {
        await this.deps.refresh(approvalId).catch(() => {});
        await reply(ephemeral.alreadyDecided(decidedDetails(view), view));
        return;
      }
      await authorizeDecision(view, 'deny', user, this.deps.groups);
      await this.deps.openModal(triggerId, denyModal(view, { id: approvalId, ...where }));
    } catch (error) {
      await this.refused(error, approvalId, reply);
    }
  }

  async denySubmitted(approvalId: string, user: string, reason: string, reply: Reply): Promise<void> {
    try {
      await this.deps.engine.decide(approvalId, 'deny', user, reason);
      this.deps.log.info({ approval: approvalId, by: user }, 'approval denied in Slack');
    } catch (error) {
      await this.refused(error, approvalId, reply);
    }
  }

  private async refused(error: unknown, approvalId: string, reply: Reply): Promise<void> {
    const view = isApprovalError(error, 'approval_not_found')
      ? undefined
      : await this.deps.engine.find(approvalId).catch(() => undefined);
    let text: string;
    if (isApprovalError(error, 'not_an_approver')) text = ephemeral.notApprover(view);
    else if (isApprovalError(error, 'self_approval_forbidden')) text = ephemeral.selfApproval(view);
    else if (isApprovalError(error, 'already_decided')) {
      await this.deps
        .refresh(approvalId)
        .catch((e: unknown) =>
          this.deps.log.warn({ approval: approvalId, err: describeError(e) }, 'could not queue a message refresh'),
        );
      text = ephemeral.alreadyDecided(error.details.alreadyDecided, view);
    } else if (isApprovalError(error, 'approval_not_found')) text = ephemeral.notFound(approvalId);
    else {
      this.deps.log.error({ approval: approvalId, err: describeError(error) }, 'a Slack decision failed');
      text = ephemeral.unavailable(approvalId);
    }
    await reply(text);
  }
}

function decidedDetails(view: ApprovalView) {
  return {
    state: view.state,
    ...(view.decidedBy === undefined ? {} : { decidedBy: view.decidedBy }),
    ...(view.decidedAt === undefined ? {} : { decidedAt: view.decidedAt }),
  };
}
