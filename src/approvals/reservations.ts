import { describeError, type Logger } from '../shared/index.js';

/**
 * Giving back the rate-limit reservation a held call took, when it will not run. Only a process
 * given a releaser (a gateway, not the CLI) does it; the others leave the reservation in the
 * approval for one that can (`claimRelease`).
 */
export class ReservationReleaser {
  constructor(
    private readonly releaser: ((reservation: unknown) => Promise<void>) | undefined,
    private readonly log: Logger,
  ) {}

  /** Whether this process releases reservations itself (the scripts hand them over only then). */
  get enabled(): boolean {
    return this.releaser !== undefined;
  }

  /** Never throws: a reservation that cannot be released ages out with its window. */
  async release(reservation: unknown, approvalId: string): Promise<void> {
    if (reservation === undefined || this.releaser === undefined) return;
    try {
      await this.releaser(reservation);
    } catch (error) {
      this.log.error(
        { approval: approvalId, err: describeError(error) },
        'could not release the rate-limit reservation of a held call',
      );
    }
  }
}
