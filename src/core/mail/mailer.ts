import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { createTransport, Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import { APP_CONFIG, AppConfig } from '../config/config';
import { LOGGER } from '../logging/logger';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** Extra headers (List-Unsubscribe, List-Unsubscribe-Post, ...). */
  headers?: Record<string, string>;
}

export interface MailResult {
  /** 'smtp': handed to the SMTP server at SMTP_URL; 'log': SMTP_URL is unset, the email was logged. */
  via: 'smtp' | 'log';
  messageId: string | null;
}

/**
 * The server's one way to send email (notifications, and password resets when accounts land): with
 * SMTP_URL set, nodemailer hands each message to that server; unset, the message is logged as one JSON
 * line and counts as sent, so a fresh install works without a mail server. `send` resolves once the
 * SMTP server accepted the message and throws when it did not (callers retry).
 */
@Injectable()
export class Mailer implements OnApplicationShutdown {
  private readonly transport: Transporter | null;
  private readonly from: string;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.transport = config.smtpUrl ? createTransport(config.smtpUrl) : null;
    this.from = `Hearth <no-reply@${hostOf(config.publicUrl)}>`;
  }

  get configured(): boolean {
    return this.transport !== null;
  }

  async send(message: MailMessage): Promise<MailResult> {
    if (!this.transport) {
      this.logger.info({ mail: { from: this.from, ...message } }, 'email (SMTP_URL unset: logged, not sent)');
      return { via: 'log', messageId: null };
    }
    const info = await this.transport.sendMail({ from: this.from, ...message });
    return { via: 'smtp', messageId: typeof info.messageId === 'string' ? info.messageId : null };
  }

  onApplicationShutdown() {
    this.transport?.close();
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname || 'localhost';
  } catch {
    return 'localhost';
  }
}
