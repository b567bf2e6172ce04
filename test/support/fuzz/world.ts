import { NO_LIMITS, setSettings } from '../content';
import { createMember, registerUser, TestUser } from '../factories';
import { Http } from '../http';

/**
 * The callers and the live state the fuzz asks about: who is logged in, who belongs where, and
 * whether a resource is still hidden from a caller (after the fuzz itself moved threads or changed
 * a board's visibility). Built by fixtures.ts.
 */
export type CommunityKey = 'A' | 'B';
export type CallerName = 'guest' | 'badToken' | 'member' | 'communityAdmin' | 'platformAdmin' | 'outsider';
export type AccountName = Exclude<CallerName, 'guest' | 'badToken'> | 'stranger';
export const CALLERS: CallerName[] = ['guest', 'badToken', 'member', 'communityAdmin', 'platformAdmin', 'outsider'];

export type Role = 'member' | 'staff' | 'moderator' | 'admin';
export type Visibility = 'public' | 'members' | 'staff';

/** Where a real value lives, so access to it can be judged. */
export type Scope =
  | { kind: 'community'; community: CommunityKey }
  | { kind: 'board'; community: CommunityKey; boardId: string; threadId?: string }
  /** Only its owner may ever get a 2xx with it (a session, an upload not attached yet). */
  | { kind: 'owner'; ownerId: string; community?: CommunityKey };

export interface PoolValue {
  value: string;
  /** For the report: what the value is ("thread in A/members-qa"). */
  label: string;
  scope?: Scope;
}

export interface Community {
  id: string;
  slug: string;
}

export interface BoardInfo {
  id: string;
  community: CommunityKey;
  visibility: Visibility;
  kind: string;
  slug: string;
}

const RANK: Record<Role, number> = { member: 1, staff: 2, moderator: 3, admin: 4 };

export function canSee(role: Role | null, visibility: Visibility, platformAdmin: boolean): boolean {
  if (platformAdmin || visibility === 'public') return true;
  if (!role) return false;
  return visibility === 'members' || RANK[role] >= RANK.staff;
}

export class World {
  /** Path parameter name → real values. A name missing here fails the run (see fixtures.ts). */
  readonly pools: Record<string, PoolValue[]> = {};
  /** Query and body names → real values (board ids for `board`, uploads for `attachmentIds`...). */
  readonly named: Record<string, string[]> = {};
  readonly words: string[] = [];
  readonly boards = new Map<string, BoardInfo>();
  /** Who belongs where when the run starts (callers not listed belong nowhere). */
  readonly expectedRoles: Record<AccountName, Partial<Record<CommunityKey, Role>>> = {
    member: { A: 'member' },
    communityAdmin: { A: 'admin' },
    outsider: { B: 'member' },
    platformAdmin: {},
    stranger: {},
  };

  constructor(
    readonly http: Http,
    readonly communities: Record<CommunityKey, Community>,
    readonly accounts: Record<AccountName, TestUser>,
    /** A real PNG, for valid uploads. */
    readonly image: Buffer,
  ) {}

  token(name: CallerName | 'stranger'): string | undefined {
    return name === 'guest' || name === 'badToken' ? undefined : this.accounts[name].accessToken;
  }

  userId(name: CallerName | 'stranger'): string | null {
    return name === 'guest' || name === 'badToken' ? null : this.accounts[name].id;
  }

  private get admin(): string {
    return this.accounts.platformAdmin.accessToken;
  }

  /** The caller's role in a community as the run set it up (a promise the fuzz should not have broken). */
  expectedRole(name: CallerName, community: CommunityKey): Role | null {
    if (name === 'guest' || name === 'badToken') return null;
    return this.expectedRoles[name][community] ?? null;
  }

  /** The role the caller has now, asked from the server (the fuzz may have joined or promoted them). */
  async currentRole(name: CallerName | 'stranger', community: CommunityKey): Promise<Role | null> {
    const token = this.token(name);
    if (!token) return null;
    const me = await this.http.get('/api/v1/me', { token });
    if (me.status !== 200) return null;
    const id = this.communities[community].id;
    const membership = (me.body.memberships as { community: { id: string }; role: Role }[]).find((m) => m.community.id === id);
    return membership?.role ?? null;
  }

  /** By the run's setup, may this caller get a 2xx with this value? (Cheap; confirmed live before a failure is recorded.) */
  hiddenAtStart(value: PoolValue, caller: CallerName): boolean {
    const scope = value.scope;
    if (!scope || scope.kind === 'community') return false;
    if (scope.kind === 'owner') return this.userId(caller) !== scope.ownerId;
    const board = this.boards.get(scope.boardId);
    if (!board) return false;
    return !canSee(this.expectedRole(caller, scope.community), board.visibility, caller === 'platformAdmin');
  }

  /** Is the value hidden from the caller now? Follows moved threads, changed visibility and changed roles. */
  async hiddenNow(value: PoolValue, caller: CallerName): Promise<boolean> {
    const scope = value.scope;
    if (!scope || scope.kind === 'community') return false;
    if (scope.kind === 'owner') return this.userId(caller) !== scope.ownerId;
    let boardId = scope.boardId;
    if (scope.threadId) {
      const thread = await this.http.get(`/api/v1/threads/${scope.threadId}`, { token: this.admin });
      if (thread.status !== 200) return false; // deleted since: nothing to judge
      boardId = thread.body.boardId;
    }
    const visibility = await this.boardVisibility(scope.community, boardId);
    if (!visibility) return false;
    return !canSee(await this.currentRole(caller, scope.community), visibility, caller === 'platformAdmin');
  }

  private async boardVisibility(community: CommunityKey, boardId: string): Promise<Visibility | null> {
    let cursor = '';
    for (let page = 0; page < 50; page++) {
      const res = await this.http.get(`/api/v1/communities/${this.communities[community].slug}/boards?limit=100${cursor}`, { token: this.admin });
      if (res.status !== 200) return null;
      const board = (res.body.items as { id: string; visibility: Visibility }[]).find((b) => b.id === boardId);
      if (board) return board.visibility;
      if (!res.body.nextCursor) return null;
      cursor = `&cursor=${encodeURIComponent(res.body.nextCursor)}`;
    }
    return null;
  }

  /**
   * Puts the world back after a state-changing operation: everyone logged in, the outsider and the
   * stranger outside community A (a fuzzed join or role change may have let them in), no cooldowns.
   */
  async restore(): Promise<void> {
    for (const name of ['platformAdmin', 'member', 'communityAdmin', 'outsider', 'stranger'] as AccountName[]) await this.ensureLoggedIn(name);
    if (await this.currentRole('outsider', 'A')) {
      this.accounts.outsider = await createMember(this.http, this.admin, this.communities.B.slug);
    }
    if ((await this.currentRole('stranger', 'A')) || (await this.currentRole('stranger', 'B'))) {
      this.accounts.stranger = await registerUser(this.http);
    }
    for (const key of ['A', 'B'] as CommunityKey[]) await setSettings(this.http, this.admin, this.communities[key].slug, NO_LIMITS);
  }

  /** Logs the account in again when its token stopped working (log-out, a deleted session); replaces it if it cannot. */
  async ensureLoggedIn(name: AccountName): Promise<void> {
    const account = this.accounts[name];
    if ((await this.http.get('/api/v1/me', { token: account.accessToken })).status === 200) return;
    const login = await this.http.post('/api/v1/auth/login', { email: account.email, password: account.password });
    if (login.status === 200) {
      account.accessToken = login.body.accessToken;
      account.refreshToken = login.body.refreshToken;
      return;
    }
    if (name === 'platformAdmin') throw new Error(`the platform admin cannot log in again: ${login.status} ${login.text}`);
    const roles = this.expectedRoles[name];
    const [community, role] = (Object.entries(roles)[0] ?? []) as [CommunityKey | undefined, Role | undefined];
    this.accounts[name] = community && role ? await createMember(this.http, this.admin, this.communities[community].slug, role) : await registerUser(this.http);
  }
}
