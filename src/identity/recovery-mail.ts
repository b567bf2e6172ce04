import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '../core/logging/logger';
import { MailMessage, Mailer } from '../core/mail/mailer';

const ATTEMPTS = 3;
const RETRY_BASE_MS = 500;

/**
 * Sends reset and verification emails in the background, after the request answered (and after the
 * token committed): the answer never waits on the mail server, so a reset for an existing account
 * takes as long as one for an unknown email, and a mail server that is down fails nothing. A message
 * the server refuses is retried a few times, then logged; the token stays valid, and the member can
 * ask for another email (the raw token is never stored, so a crash before sending loses only the email).
 */
@Injectable()
export class RecoveryMail implements OnApplicationShutdown {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly mailer: Mailer,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  sendLater(message: MailMessage, kind: string): void {
    const job: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.sendWithRetries(message, kind))
      .finally(() => this.pending.delete(job));
    this.pending.add(job);
  }

  /** Resolves once every email queued so far was sent or given up on. */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  async onApplicationShutdown() {
    await this.idle();
  }

  private async sendWithRetries(message: MailMessage, kind: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.mailer.send(message);
        return;
      } catch (err) {
        if (attempt >= ATTEMPTS) {
          this.logger.error({ err: (err as Error).message, kind }, 'account email could not be sent');
          return;
        }
        await new Promise((r) => setTimeout(r, RETRY_BASE_MS * 2 ** (attempt - 1)));
      }
    }
  }
}
