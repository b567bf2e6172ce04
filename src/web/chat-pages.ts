import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ChatErrors } from '../chat/chat.errors';
import { MessageView, RoomView } from '../chat/dto/chat.dto';
import { MessagesService } from '../chat/messages.service';
import { RoomsService } from '../chat/rooms.service';
import { CommunitiesService } from '../communities/communities.service';
import { CommunityView } from '../communities/dto/communities.dto';
import { Actor, CommunityContext } from '../core/auth/actor';
import { roleAtLeast } from '../core/auth/roles';
import { CommonErrors } from '../core/errors/app-error';
import { IdParamPipe } from '../core/http/id-param.pipe';
import { PageQueryDto } from '../core/pagination/pagination';
import { FieldErrors, validateWith } from './forms';
import { sendPage } from './send-page';
import { Views } from './views';
import { CSRF_FIELD, Viewer, WebSessionService } from './web-session.service';
import { WebErrors } from './web.errors';

/** Rooms listed on the chat page (a member with more pages on with "More rooms"). */
export const ROOMS_PER_PAGE = 50;
/** Messages a room page shows; "Older messages" follows the API's cursor. */
export const MESSAGES_PER_PAGE = 50;
const roomIds = new IdParamPipe('Room');
const messageIds = new IdParamPipe('Message');

/** The forms of the chat page, as the member filled them in, with their errors. */
export interface ChatForms {
  privateRoom?: { values: { name: string; members: string }; errors: FieldErrors };
  direct?: { values: { username: string }; errors: FieldErrors };
  /** A message for the whole page (a refused support request, ...). */
  message?: string;
}

/** The room page's send form after a failed send, or a refused claim or close. */
export interface RoomForm {
  body?: string;
  errors?: FieldErrors;
  message?: string;
  /** A refused delete, shown above the messages. */
  notice?: string;
}

/** The edit form of one message, as sent, with its errors (or a refusal in `message`). */
export interface EditForm {
  body?: string;
  errors?: FieldErrors;
  message?: string;
}

export interface ChatMember {
  viewer: Viewer;
  actor: Actor;
  context: CommunityContext;
  community: CommunityView;
}

export const chatPath = (slug: string) => `/c/${encodeURIComponent(slug)}/chat`;
export const roomPath = (slug: string, roomId: string) => `${chatPath(slug)}/${roomId}`;

/**
 * The chat pages' rendering: the room list with its forms, and a room with its history, both shown
 * by GET and again by a form that failed. Everything comes from the chat services (RoomsService,
 * MessagesService), which check who may see what exactly as the API and the socket gateway do.
 */
@Injectable()
export class ChatPages {
  constructor(
    private readonly views: Views,
    private readonly sessions: WebSessionService,
    private readonly communities: CommunitiesService,
    private readonly rooms: RoomsService,
    private readonly messages: MessagesService,
  ) {}

  /** The signed-in viewer and their place in the community (guests: log in; no such community: 404). */
  async visitor(request: FastifyRequest, reply: FastifyReply, slug: string): Promise<ChatMember> {
    const viewer = await this.sessions.viewer(request, reply);
    if (!viewer.actor) throw WebErrors.signInRequired();
    const context = await this.communities.resolve(slug, viewer.actor);
    if (!context) throw CommonErrors.notFound('Community');
    const community = await this.communities.getBySlug(slug);
    return { viewer, actor: viewer.actor, context, community };
  }

  /** As visitor(), for a member (the form routes): a non-member is refused as the API refuses them. */
  async member(request: FastifyRequest, reply: FastifyReply, slug: string): Promise<ChatMember> {
    const found = await this.visitor(request, reply, slug);
    if (!roleAtLeast(found.context.role, 'member')) throw ChatErrors.notMember();
    return found;
  }

  /** The chat page: the member's rooms by kind with unread counts, and the forms that open rooms. */
  async index(request: FastifyRequest, reply: FastifyReply, slug: string, query: Record<string, unknown>, forms: ChatForms = {}, status = 200) {
    const { viewer, actor, context, community } = await this.visitor(request, reply, slug);
    const base = chatPath(community.slug);
    const meta = { title: `Chat · ${community.name}`, canonicalPath: base, community, noindex: true };
    if (!roleAtLeast(context.role, 'member')) {
      // A member whose sanction stops reading is refused; anyone else is asked to join.
      if (await this.communities.membership(context.id, actor.userId)) throw CommonErrors.forbidden('You cannot use chat in this community right now');
      const html = this.views.page('chat', meta, viewer, { community, role: null, joinPrompt: true, csrfField: CSRF_FIELD });
      return sendPage(reply, viewer, html, 403);
    }
    const cursor = await this.cursor(query.cursor);
    const page = await this.rooms.list(actor, context, { limit: ROOMS_PER_PAGE, cursor });
    // A public room is "joined" once the member has read state there (RoomsService answers it per room).
    const joined = new Map<string, boolean>();
    await Promise.all(
      page.items.filter((r) => r.kind === 'public').map(async (r) => joined.set(r.id, (await this.rooms.access(actor, r.id)).row.in_room)),
    );
    const entry = (room: RoomView) => ({ room, label: roomLabel(room, actor.userId), url: roomPath(community.slug, room.id), status: supportStatus(room, actor.userId) });
    const of = (kind: RoomView['kind']) => page.items.filter((r) => r.kind === kind).map(entry);
    const publicRooms = of('public');
    const html = this.views.page('chat', meta, viewer, {
      community,
      role: context.role,
      joinPrompt: false,
      csrfField: CSRF_FIELD,
      supportRooms: of('support'),
      directRooms: of('direct'),
      privateRooms: of('private'),
      joinedPublic: publicRooms.filter((e) => joined.get(e.room.id)),
      otherPublic: publicRooms.filter((e) => !joined.get(e.room.id)),
      totalUnread: page.items.reduce((n, r) => n + r.unreadCount, 0),
      nextUrl: page.nextCursor ? `${base}?cursor=${encodeURIComponent(page.nextCursor)}` : null,
      firstUrl: cursor ? base : null,
      forms: {
        privateRoom: forms.privateRoom ?? { values: { name: '', members: '' }, errors: {} },
        direct: forms.direct ?? { values: { username: '' }, errors: {} },
        message: forms.message ?? null,
      },
    });
    return sendPage(reply, viewer, html, status);
  }

  /**
   * A room: a page of history (oldest of it first), the send form, the support chat's state and
   * buttons. Anyone who may not read the room (another community, a private room they are not in)
   * gets the 404 page, as the API answers. Opening the newest page marks the room read for its members.
   */
  async room(request: FastifyRequest, reply: FastifyReply, slug: string, rawRoomId: string, query: Record<string, unknown>, form: RoomForm = {}, status = 200) {
    const roomId = roomIds.transform(rawRoomId);
    const { viewer, actor, context, community } = await this.visitor(request, reply, slug);
    const room = await this.rooms.get(actor, roomId);
    if (room.communityId !== context.id) throw ChatErrors.roomNotFound();
    const { row, rights } = await this.rooms.access(actor, roomId);
    const cursor = await this.cursor(query.before);
    const page = await this.messages.history(actor, roomId, { limit: MESSAGES_PER_PAGE, cursor });
    const newest = page.items[0];
    // Read state belongs to the room's members (staff looking at an unclaimed support chat are not in it yet).
    if (!cursor && newest && row.in_room) {
      await this.messages.markRead(actor, roomId, newest.id);
      // The Chat link's count was read before this look: this room is read now.
      if (room.unreadCount > 0 && viewer.chatUnread) viewer.chatUnread -= 1;
    }
    const url = roomPath(community.slug, room.id);
    const label = roomLabel(room, actor.userId);
    const support = room.support;
    const isCustomer = room.kind === 'support' && room.createdBy === actor.userId;
    const html = this.views.page(
      'chat-room',
      {
        title: `${label} · Chat · ${community.name}`,
        canonicalPath: url,
        community,
        noindex: true,
        scripts: ['socket.io.min.js', 'chat.js', 'chat-edit.js'],
        // The live part only on the newest page; older pages are history.
        bodyData: cursor
          ? {}
          : {
              chatRoomId: room.id,
              chatUserId: actor.userId,
              chatInRoom: row.in_room ? 'yes' : 'no',
              chatCustomerId: room.kind === 'support' ? room.createdBy : '',
              // Moderators get Delete on others' messages (live ones too): MessagesService's rule, see mayChange().
              chatModerator: rights.moderator ? 'yes' : 'no',
              communitySlug: community.slug,
            },
      },
      viewer,
      {
        community,
        role: context.role,
        room,
        label,
        url,
        chatUrl: chatPath(community.slug),
        messages: [...page.items].reverse(),
        olderUrl: page.nextCursor ? `${url}?before=${encodeURIComponent(page.nextCursor)}` : null,
        newestUrl: cursor ? url : null,
        me: actor.userId,
        // In a support chat everyone but the customer is staff: their messages carry a Staff badge.
        customerId: room.kind === 'support' ? room.createdBy : null,
        canSend: !rights.sendError,
        sendBlocked: rights.sendError ? (rights.sendError as Error).message : null,
        supportStatus: supportStatus(room, actor.userId),
        canClaim: Boolean(support && rights.staff && support.status === 'open'),
        canClose: Boolean(support && support.status !== 'closed' && (rights.staff || isCustomer)),
        people: room.kind === 'public' ? [] : room.members,
        form: { body: form.body ?? '', errors: form.errors ?? {}, message: form.message ?? null },
        notice: form.notice ?? null,
        moderator: rights.moderator,
        // A fresh id per page view: the same form sent twice stores one message.
        clientId: `web-${randomUUID()}`,
        csrfField: CSRF_FIELD,
        kindLabels: KIND_LABELS,
      },
    );
    return sendPage(reply, viewer, html, status);
  }

  /**
   * The edit page of one message (no JavaScript): its body in a form that posts back, with the send
   * form's field errors. Only for a message the viewer may change (its author, or a moderator of the
   * room: the rule of MessagesService); anyone else gets the page MessagesService's refusal gives.
   */
  async editMessage(request: FastifyRequest, reply: FastifyReply, slug: string, rawRoomId: string, rawMessageId: string, form: EditForm = {}, status = 200) {
    const roomId = roomIds.transform(rawRoomId);
    const who = await this.visitor(request, reply, slug);
    const { viewer, actor, community } = who;
    const room = await this.rooms.get(actor, roomId);
    if (room.communityId !== who.context.id) throw ChatErrors.roomNotFound();
    const message = await this.message(who, roomId, rawMessageId);
    const { rights } = await this.rooms.access(actor, roomId);
    if (!mayChange(message, actor.userId, rights.moderator)) throw ChatErrors.notAuthor();
    const url = roomPath(community.slug, room.id);
    const label = roomLabel(room, actor.userId);
    const html = this.views.page('chat-room', { title: `Edit message · ${label} · Chat · ${community.name}`, canonicalPath: `${url}/messages/${message.id}/edit`, community, noindex: true }, viewer, {
      community,
      role: who.context.role,
      room,
      label,
      url,
      chatUrl: chatPath(community.slug),
      csrfField: CSRF_FIELD,
      editing: {
        message,
        mine: message.author.id === actor.userId,
        action: `${url}/messages/${message.id}/edit`,
        back: `${url}#message-${message.id}`,
        body: form.body ?? message.body,
        errors: form.errors ?? {},
        refusal: form.message ?? null,
      },
    });
    return sendPage(reply, viewer, html, status);
  }

  /**
   * A message of this room the viewer may read, else 404 (as the API answers). Read through the
   * chat module's report-target resolver, the one way it lends out a single message with its
   * reader's rights checked (MessagesService has no getter by id).
   */
  async message(who: ChatMember, roomId: string, rawMessageId: string): Promise<MessageView> {
    const messageId = messageIds.transform(rawMessageId);
    const { message, communityId } = await this.messages.get(who.actor, roomId, messageId);
    if (communityId !== who.context.id) throw ChatErrors.messageNotFound();
    return message;
  }

  private async cursor(value: unknown): Promise<string | undefined> {
    const { value: q, errors } = await validateWith(PageQueryDto, { cursor: value });
    if (errors) throw CommonErrors.validation(Object.entries(errors).map(([field, message]) => ({ field, message })), Object.values(errors).join('; '));
    return q.cursor || undefined;
  }
}

/**
 * Whether the viewer may change a message: MessagesService.changeable's rule (its author, or a
 * moderator of the room), for what the pages show (the edit page, its buttons); the service still
 * decides every change.
 */
export function mayChange(message: MessageView, viewerId: string, moderator: boolean): boolean {
  return message.author.id === viewerId || moderator;
}

export const KIND_LABELS: Record<string, string> = { public: 'Public room', private: 'Private room', direct: 'Direct message', support: 'Support chat' };

/** How a room is named to this viewer: a direct room by the other member, a support chat plainly to its customer. */
export function roomLabel(room: RoomView, viewerId: string): string {
  if (room.kind === 'direct') {
    const other = room.members.find((m) => m.id !== viewerId);
    return other ? other.displayName : room.name;
  }
  if (room.kind === 'support' && room.createdBy === viewerId) return 'Your support chat';
  return room.name;
}

/** A support chat's state in words: waiting, with whom, or closed; null for other rooms. */
export function supportStatus(room: RoomView, viewerId: string): string | null {
  const s = room.support;
  if (!s) return null;
  if (s.status === 'closed') return 'Closed';
  if (s.status === 'open') return 'Waiting for a staff member';
  return s.claimedBy?.id === viewerId ? 'With you' : `With ${s.claimedBy?.displayName ?? 'a staff member'}`;
}
