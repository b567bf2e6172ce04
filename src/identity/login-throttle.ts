import { Limiter, RateLimitService } from '../core/rate-limit/rate-limit.service';

/** Failed log-ins one address may make against one account before it is stopped (Discourse locks after a similar number). */
export const FAILURES_PER_ACCOUNT_AND_IP = 10;
/** Failures against one account, from any address, after which new addresses are slowed down. */
export const ACCOUNT_FAILURES_BEFORE_DELAY = 10;
const WINDOW_SECONDS = 15 * 60;
const MAX_DELAY_SECONDS = 60;

/**
 * Log-in throttling that slows guessing without handing anyone a way to lock others out, after
 * OWASP's Authentication and Credential Stuffing guidance:
 *
 * 1. per IP: LOGINS_PER_IP_PER_MINUTE attempts, whatever the account;
 * 2. per (account, IP): 10 attempts that fail within 15 minutes, then 429 from that address only.
 *    The attempt is spent atomically *before* the password is checked (and given back on success),
 *    so parallel guesses cannot all slip past the count;
 * 3. per account, from any address: after 10 failures in 15 minutes, addresses that never signed in
 *    to the account wait a growing delay between attempts (1 s, 2 s, 4 s ... up to 60 s; 429 with
 *    Retry-After in between), so an attacker spreading guesses over many addresses gets a handful
 *    per minute, while the owner signing in from a device they used before is never slowed down,
 *    and from a new one waits at most a minute.
 *
 * Unknown emails go through exactly the same steps, so throttling tells nobody which accounts exist.
 */
export class LoginThrottle {
  private readonly perIp: Limiter;
  private readonly perAccountAndIp: Limiter;
  private readonly accountFailures: Limiter;
  private readonly accountGate: Limiter;

  constructor(rateLimits: RateLimitService, loginsPerIpPerMinute: number) {
    this.perIp = rateLimits.limiter({ name: 'login-ip', points: loginsPerIpPerMinute, durationSeconds: 60 });
    this.perAccountAndIp = rateLimits.limiter({ name: 'login-account-ip', points: FAILURES_PER_ACCOUNT_AND_IP, durationSeconds: WINDOW_SECONDS });
    // Only counted, never exhausted: it sizes the delay of step 3.
    this.accountFailures = rateLimits.limiter({ name: 'login-account-failures', points: 1_000_000_000, durationSeconds: WINDOW_SECONDS });
    this.accountGate = rateLimits.limiter({ name: 'login-account-gate', points: 1, durationSeconds: 1 });
  }

  /** Steps 1 and 2, before anything is looked up. Throws 429. */
  async beforeLookup(account: string, ip: string): Promise<void> {
    await this.perIp.consume(ip, 'Too many log-in attempts from this address, try again later');
    await this.perAccountAndIp.consume(accountIpKey(account, ip), 'Too many failed log-ins for this account from this address, try again later');
  }

  /** Step 3: `knownAddress` is whether the account has signed in from this IP before. Throws 429. */
  async beforeVerify(account: string, knownAddress: boolean): Promise<void> {
    if (knownAddress) return;
    const failures = await this.accountFailures.spent(account);
    if (failures < ACCOUNT_FAILURES_BEFORE_DELAY) return;
    const delay = Math.min(MAX_DELAY_SECONDS, 2 ** Math.min(failures - ACCOUNT_FAILURES_BEFORE_DELAY, 10));
    await this.accountGate.consume(account, 'Too many failed log-ins for this account, try again shortly', delay);
  }

  async failed(account: string): Promise<void> {
    await this.accountFailures.penalize(account);
  }

  /** A right password gives back this address's attempts; the account-wide count decays by itself. */
  async succeeded(account: string, ip: string): Promise<void> {
    await this.perAccountAndIp.reset(accountIpKey(account, ip));
  }
}

function accountIpKey(account: string, ip: string): string {
  return `${account}|${ip}`;
}
