import { AppError, CommonErrors } from '../core/errors/app-error';

export const ChatErrors = {
  roomNotFound: () => new AppError('NOT_FOUND', 404, 'Room not found'),
  messageNotFound: () => new AppError('NOT_FOUND', 404, 'Message not found'),
  threadNotFound: () => new AppError('NOT_FOUND', 404, 'Thread not found'),
  notMember: () => CommonErrors.forbidden('Join the community to chat'),
  publicNeedsStaff: () => CommonErrors.forbidden('Public rooms are created by staff and above'),
  notStaff: () => CommonErrors.forbidden('This requires the staff role in this community'),
  nameRequired: () => CommonErrors.validation([{ field: 'name', message: 'name is required for public and private rooms' }]),
  directNeedsOne: () => CommonErrors.validation([{ field: 'memberIds', message: 'a direct room takes exactly one other member' }]),
  noMembersHere: (kind: string) => CommonErrors.validation([{ field: 'memberIds', message: `${kind} rooms take no memberIds` }]),
  notMembers: (ids: string[]) =>
    new AppError('NOT_COMMUNITY_MEMBERS', 422, 'Only members of this community can be in its rooms', { userIds: ids }, [
      { field: 'memberIds', message: 'not members of this community' },
    ]),
  roomFull: (max: number) => new AppError('ROOM_FULL', 422, `A private room holds at most ${max} members`),
  notInvitable: () => new AppError('NOT_INVITABLE', 409, 'Only private rooms take invitations'),
  notJoinable: () => new AppError('NOT_JOINABLE', 409, 'Only public rooms can be joined; others are joined by invitation'),
  notRoomOwner: () => CommonErrors.forbidden('Only the room creator or a moderator can invite'),
  notAuthor: () => CommonErrors.forbidden('Only the author or a moderator can change this message'),
  closed: () => new AppError('ROOM_CLOSED', 409, 'This support chat is closed'),
  alreadyClaimed: (by: string) => new AppError('SUPPORT_ALREADY_CLAIMED', 409, 'Another staff member already answers this support chat', { claimedBy: by }),
  notClaimed: () => new AppError('SUPPORT_NOT_CLAIMED', 409, 'Claim this support chat before answering it'),
  claimedByOther: () => new AppError('SUPPORT_CLAIMED_BY_OTHER', 403, 'Another staff member answers this support chat'),
  notSupport: () => new AppError('NOT_SUPPORT_ROOM', 409, 'This is not a support chat'),
  tooManyLinks: (max: number) => new AppError('TOO_MANY_LINKS', 422, `New members may post at most ${max} links per message`, { max }),
  badPayload: (errors: { field: string; message: string }[]) => CommonErrors.validation(errors),
};
