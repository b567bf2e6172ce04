import { AddressInfo } from 'node:net';
import { ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  subject: string;
  text: string;
  html: string;
  /** Raw header values by lower-case name. */
  headers: Map<string, string>;
  /** The List-Unsubscribe URL (without its angle brackets), when the message has one. */
  unsubscribeUrl: string | null;
}

export interface TestSmtp {
  /** smtp://127.0.0.1:<port>, for SMTP_URL. */
  url: string;
  received: ReceivedMail[];
  /** Runs after each message is received, before the server accepts it (e.g. to stop a sender). */
  onMessage: ((mail: ReceivedMail) => Promise<void> | void) | null;
  /** Milliseconds the server waits before accepting each message (a slow mail server). */
  delayMs: number;
  close(): Promise<void>;
}

/** The subjects of the account emails every sign-up and reset sends (src/identity): specs about other mail skip them. */
export const ACCOUNT_EMAIL_SUBJECTS = ['Confirm your email address', 'Reset your password'];

/**
 * A real SMTP server on a free local port that keeps every message it accepts, parsed with mailparser.
 * Messages whose subject is in `ignoreSubjects` are accepted but neither kept nor passed to onMessage.
 */
export async function startSmtp(options: { ignoreSubjects?: string[] } = {}): Promise<TestSmtp> {
  const received: ReceivedMail[] = [];
  const state: TestSmtp = { url: '', received, onMessage: null, delayMs: 0, close: async () => undefined };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then(async (parsed: ParsedMail) => {
          const mail = toMail(parsed);
          if (options.ignoreSubjects?.includes(mail.subject)) return callback();
          if (state.delayMs) await new Promise((r) => setTimeout(r, state.delayMs));
          received.push(mail);
          await state.onMessage?.(mail);
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.server.address() as AddressInfo;
  state.url = `smtp://127.0.0.1:${port}`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}

function toMail(parsed: ParsedMail): ReceivedMail {
  const to = (Array.isArray(parsed.to) ? parsed.to : parsed.to ? [parsed.to] : []).flatMap((a) => a.value.map((v) => v.address ?? ''));
  const headerLines = new Map(parsed.headerLines.map((h) => [h.key.toLowerCase(), h.line.slice(h.line.indexOf(':') + 1).trim()]));
  const raw = headerLines.get('list-unsubscribe') ?? null;
  const unsubscribeUrl = raw && raw.startsWith('<') && raw.endsWith('>') ? raw.slice(1, -1) : null;
  return { to, subject: parsed.subject ?? '', text: parsed.text ?? '', html: typeof parsed.html === 'string' ? parsed.html : '', headers: headerLines, unsubscribeUrl };
}
