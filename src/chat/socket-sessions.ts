import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Server, Socket } from 'socket.io';
import { Actor, ACCESS_TOKEN_VERIFIER, AccessTokenVerifier } from '../core/auth/actor';
import { parseCookies, SESSION_COOKIE } from '../core/auth/page-session';
import { roleAtLeast } from '../core/auth/roles';
import { Invalidation, INVALIDATIONS, Invalidations } from '../core/cluster/invalidations';
import { APP_CONFIG, AppConfig } from '../core/config/config';
import { LOGGER } from '../core/logging/logger';
import { CommunityPolicy } from '../core/policy/community-policy';
import { CommunitiesService } from '../communities/communities.service';
import { LivePostsService } from '../threads/live-posts.service';
import { connectError } from './socket-payload';
import { Realtime, SocketRooms } from './realtime';
import { RoomsService } from './rooms.service';

/** What a socket carries (kept small: fetchSockets() ships it between instances). */
export interface SocketData {
  userId: string | null;
  sessionId: string | null;
  isPlatformAdmin: boolean;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyEvents = Record<string, (...args: any[]) => void>;
export type HearthSocket = Socket<AnyEvents, AnyEvents, AnyEvents, SocketData>;

export const MAX_SOCKETS_PER_USER = 10;
export const FLOOD_EVENTS = 100;
export const FLOOD_WINDOW_MS = 10_000;
/** The client events of DESIGN.md's realtime table; anything else is answered UNKNOWN_EVENT (when it asks for an ack). */
export const CLIENT_EVENTS = new Set(['room:join', 'room:leave', 'message:send', 'message:edit', 'message:delete', 'room:read', 'typing', 'thread:watch', 'thread:unwatch']);

interface PresenceAsker {
  serverSideEmitWithAck(event: 'presence:who', roomId: string): Promise<unknown[]>;
}
interface PresenceAnswerer {
  on(event: 'presence:who', listener: (roomId: unknown, reply: unknown) => void): void;
}

/** Per-socket state that stays on this instance. */
interface LocalState {
  /** Times of recent client events (flood control). */
  recent: number[];
  /** Watched threads and the board each was on when checked. */
  watching: Map<string, string>;
  /** Last forwarded typing event per room. */
  typing: Map<string, number>;
  /** The staff rooms the handshake found, and the member-change count then (see connected()). */
  staffAtHandshake?: { rooms: string[]; epoch: number };
}

export function actorOf(socket: HearthSocket): Actor | null {
  const d = socket.data;
  return d?.userId && d.sessionId ? { userId: d.userId, sessionId: d.sessionId, isPlatformAdmin: d.isPlatformAdmin } : null;
}

/**
 * The life of a socket: the token checked at the handshake, the per-user socket cap, flood control on
 * every packet, and the rights a socket holds re-checked when they may have changed (a log-out or
 * revoked session disconnects; a role change, sanction, moved thread or board made private removes
 * the socket from what it may no longer read). Changes arrive through Invalidations, so every instance
 * acts on its own sockets.
 */
@Injectable()
export class SocketSessions {
  private server: Server | null = null;
  private readonly local = new WeakMap<Socket, LocalState>();
  private readonly publicOrigin: string;
  /** Counts the member changes (roles, sanctions) heard: a handshake's read of the staff rooms is stale if it moved. */
  private memberEpoch = 0;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(ACCESS_TOKEN_VERIFIER) private readonly verifier: AccessTokenVerifier,
    @Inject(INVALIDATIONS) invalidations: Invalidations,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly realtime: Realtime,
    private readonly rooms: RoomsService,
    private readonly communities: CommunitiesService,
    private readonly live: LivePostsService,
    private readonly policy: CommunityPolicy,
  ) {
    this.publicOrigin = new URL(config.publicUrl).origin;
    invalidations.subscribe((inv) => void this.onInvalidation(inv).catch((err) => this.logger.warn({ err }, 'realtime: re-check failed')));
  }

  attach(server: Server) {
    this.server = server;
    this.realtime.attach(server);
    // Another instance asks who of a room is connected here (see online()).
    (server as unknown as PresenceAnswerer).on('presence:who', (roomId: unknown, reply: unknown) => {
      if (typeof roomId === 'string' && typeof reply === 'function') reply(this.localOnline(roomId));
    });
    server.use((socket, next) => {
      this.handshake(socket as HearthSocket).then(
        () => next(),
        (err: Error) => next(err),
      );
    });
  }

  state(socket: Socket): LocalState {
    let s = this.local.get(socket);
    if (!s) this.local.set(socket, (s = { recent: [], watching: new Map(), typing: new Map() }));
    return s;
  }

  /**
   * Guests connect without a token (they may only watch public threads); a bad or expired token is
   * refused. Without a token, the web pages' session cookie signs the socket in (the pages' chat and
   * live bell), but only from the pages' own origin: a socket opened by another site's page (which a
   * browser would send the cookie with, were it not SameSite) stays a guest's. A stale cookie is a guest.
   */
  private async handshake(socket: HearthSocket): Promise<void> {
    const token: unknown = (socket.handshake.auth as Record<string, unknown> | undefined)?.token;
    let actor: Actor | null;
    if (token === undefined || token === null) {
      actor = await this.cookieActor(socket);
      if (!actor) {
        socket.data = { userId: null, sessionId: null, isPlatformAdmin: false };
        return;
      }
    } else {
      actor = typeof token === 'string' && token ? await this.verifier.verify(token).catch(() => null) : null;
      if (!actor) throw connectError('UNAUTHENTICATED', 'The access token is invalid, expired or revoked');
    }
    const existing = await this.server!.in(SocketRooms.user(actor.userId)).fetchSockets().catch(() => []);
    if (existing.length >= MAX_SOCKETS_PER_USER) throw connectError('TOO_MANY_CONNECTIONS', `At most ${MAX_SOCKETS_PER_USER} connections per user`);
    socket.data = { userId: actor.userId, sessionId: actor.sessionId, isPlatformAdmin: actor.isPlatformAdmin };
    const epoch = this.memberEpoch;
    this.state(socket).staffAtHandshake = { rooms: await this.staffRooms(actor.userId), epoch };
  }

  private async staffRooms(userId: string): Promise<string[]> {
    const memberships = await this.communities.myMemberships(userId);
    return memberships.filter((m) => roleAtLeast(m.role, 'staff')).map((m) => SocketRooms.staff(m.community.id));
  }

  private async cookieActor(socket: HearthSocket): Promise<Actor | null> {
    const cookie = parseCookies(socket.handshake.headers.cookie).get(SESSION_COOKIE);
    if (!cookie) return null;
    // As page forms (WebSessionService.assertCsrf): PUBLIC_URL's origin, or the host the page was loaded from.
    const origin = socket.handshake.headers.origin;
    if (origin !== undefined && origin !== this.publicOrigin && originHost(origin) !== socket.handshake.headers.host) return null;
    return this.verifier.verifyBrowserToken(cookie).catch(() => null);
  }

  async connected(socket: HearthSocket): Promise<void> {
    const actor = actorOf(socket);
    socket.use((packet, next) => {
      if (this.flooding(socket)) {
        this.logger.info({ userId: actor?.userId ?? null }, 'realtime: flood, socket disconnected');
        socket.disconnect(true);
        return;
      }
      if (!CLIENT_EVENTS.has(String(packet[0]))) {
        const ack = packet[packet.length - 1];
        if (typeof ack === 'function') ack({ ok: false, error: { code: 'UNKNOWN_EVENT', message: 'No such event' } });
        return;
      }
      next();
    });
    if (!actor) return;
    // The socket's own rooms are joined in the tick that connects it, before the client can hear
    // 'connect': a page that reads its state after 'connect' (the staff support queue) then misses
    // no event sent to these rooms. The staff rooms were read by the handshake; read again only
    // when a member change was heard meanwhile (it may have been this member's role).
    const atHandshake = this.state(socket).staffAtHandshake;
    this.state(socket).staffAtHandshake = undefined;
    await socket.join([SocketRooms.user(actor.userId), SocketRooms.session(actor.sessionId), ...(atHandshake?.rooms ?? [])]);
    if (!atHandshake || atHandshake.epoch !== this.memberEpoch) {
      const staffRooms = new Set(await this.staffRooms(actor.userId));
      for (const room of [...socket.rooms]) if (room.startsWith('staff:') && !staffRooms.has(room)) await socket.leave(room);
      if (staffRooms.size) await socket.join([...staffRooms]);
    }
    // A recovered connection gets its rooms back: check each again (a ban while away must not slip through).
    if (socket.recovered) await this.recheck(socket, null);
  }

  private flooding(socket: Socket): boolean {
    const s = this.state(socket);
    const now = Date.now();
    while (s.recent.length && now - s.recent[0] > FLOOD_WINDOW_MS) s.recent.shift();
    s.recent.push(now);
    return s.recent.length > FLOOD_EVENTS;
  }

  private async onInvalidation(inv: Invalidation): Promise<void> {
    const server = this.server;
    if (!server) return;
    if (inv.member || !Object.keys(inv).length) this.memberEpoch += 1;
    if (inv.sessionId) server.local.in(SocketRooms.session(inv.sessionId)).disconnectSockets(true);
    if (inv.member) {
      const sockets = await server.local.in(SocketRooms.user(inv.member.userId)).fetchSockets();
      for (const s of sockets) await this.recheck(s as unknown as HearthSocket, inv.member.communityId);
    }
    if (inv.threadIds?.length) await this.recheckMovedThreads(inv.threadIds);
    if (inv.boardId) await this.recheckBoard(inv.boardId);
  }

  /** Threads whose board changed (a move) or that are gone: their watchers are checked again. */
  private async recheckMovedThreads(threadIds: string[]) {
    const rooms = this.server!.of('/').adapter.rooms;
    const watched = threadIds.filter((id) => rooms.has(SocketRooms.thread(id)));
    if (!watched.length) return;
    const boards = await this.live.boardsOf(watched);
    for (const threadId of watched) {
      for (const s of await this.server!.local.in(SocketRooms.thread(threadId)).fetchSockets()) {
        const socket = s as unknown as HearthSocket;
        if (this.state(socket).watching.get(threadId) !== boards.get(threadId)) await this.recheckThread(socket, threadId);
      }
    }
  }

  private async recheckBoard(boardId: string) {
    for (const s of await this.server!.local.fetchSockets()) {
      const socket = s as unknown as HearthSocket;
      for (const [threadId, board] of this.state(socket).watching) if (board === boardId) await this.recheckThread(socket, threadId);
    }
  }

  /** Checks every room and thread the socket is in (of one community, or all), and its staff rooms. */
  async recheck(socket: HearthSocket, communityId: string | null): Promise<void> {
    const actor = actorOf(socket);
    for (const room of [...socket.rooms]) {
      const [kind, id, extra] = room.split(':');
      if (kind === 'chat' && id && extra === undefined) {
        try {
          const access = await this.rooms.access(actor, id);
          if (communityId && access.row.community_id !== communityId) continue;
          await this.policy.assertMay(access.row.community_id, actor!.userId, 'read');
        } catch (err) {
          await this.removeFromRoom(socket, id, err);
        }
      } else if (kind === 'thread' && id) {
        await this.recheckThread(socket, id);
      }
    }
    if (actor && communityId) {
      const role = await this.communities.roleOf(actor, communityId);
      if (roleAtLeast(role, 'staff')) await socket.join(SocketRooms.staff(communityId));
      else await socket.leave(SocketRooms.staff(communityId));
    }
  }

  async removeFromRoom(socket: HearthSocket, roomId: string, err: unknown) {
    await socket.leave(SocketRooms.chat(roomId));
    if (socket.data.userId) await socket.leave(SocketRooms.chatUser(roomId, socket.data.userId));
    socket.emit('room:removed', { roomId, code: (err as { code?: string }).code ?? 'NOT_FOUND' });
    if (socket.data.userId) await this.announceOffline(roomId, socket.data.userId);
  }

  private async recheckThread(socket: HearthSocket, threadId: string) {
    const actor = actorOf(socket);
    try {
      const watched = await this.live.watchable(actor, threadId);
      if (actor) await this.policy.assertMay(watched.communityId, actor.userId, 'read');
      this.state(socket).watching.set(threadId, watched.boardId);
    } catch (err) {
      this.state(socket).watching.delete(threadId);
      await socket.leave(SocketRooms.thread(threadId));
      socket.emit('thread:unwatched', { threadId, code: (err as { code?: string }).code ?? 'NOT_FOUND' });
    }
  }

  /**
   * Who of a room is online, across instances (user ids, each once). Each instance answers with the
   * user ids of its own sockets in the room (`presence:who`, a server-side event through the adapter),
   * so only ids cross Redis, not every socket's handshake.
   */
  async online(roomId: string): Promise<string[]> {
    const server = this.server!;
    const ids = new Set(this.localOnline(roomId));
    if ((await server.of('/').adapter.serverCount()) > 1) {
      const others = (await (server as unknown as PresenceAsker).serverSideEmitWithAck('presence:who', roomId).catch(() => [])) as string[][];
      for (const list of others) if (Array.isArray(list)) for (const id of list) if (typeof id === 'string') ids.add(id);
    }
    return [...ids];
  }

  private localOnline(roomId: string): string[] {
    const nsp = this.server!.of('/');
    const ids = new Set<string>();
    for (const sid of nsp.adapter.rooms.get(SocketRooms.chat(roomId)) ?? []) {
      const userId = (nsp.sockets.get(sid)?.data as SocketData | undefined)?.userId;
      if (userId) ids.add(userId);
    }
    return [...ids];
  }

  /** `presence {online: false}` once the user's last socket left the room (on any instance). */
  async announceOffline(roomId: string, userId: string) {
    const left = await this.server!.in(SocketRooms.chatUser(roomId, userId)).fetchSockets();
    if (!left.length) this.realtime.toChatRoom(roomId, 'presence', { roomId, userId, online: false });
  }
}

function originHost(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}
