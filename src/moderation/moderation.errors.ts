import { AppError, CommonErrors } from '../core/errors/app-error';

const until = (at: Date | null) => (at ? ` until ${at.toISOString()}` : ' until a moderator lifts it');

export const ModerationErrors = {
  silenced: (at: Date | null) => new AppError('SILENCED', 403, `You are silenced in this community${until(at)}`, { until: at?.toISOString() ?? null }),
  suspended: (at: Date | null) => new AppError('SUSPENDED', 403, `You are suspended from this community${until(at)}`, { until: at?.toISOString() ?? null }),
  banned: (at: Date | null) => new AppError('BANNED', 403, `You are banned from this community${until(at)}`, { until: at?.toISOString() ?? null }),
  blocked: (pattern: string) =>
    new AppError('CONTENT_BLOCKED', 422, `The text contains a word or phrase this community does not allow: "${pattern}"`, { pattern }, [
      { field: 'body', message: 'contains a blocked word or phrase' },
    ]),
  ownContent: () => new AppError('CANNOT_REPORT_OWN', 422, 'You cannot report your own content or yourself'),
  notMember: () => CommonErrors.forbidden('Join the community to report'),
  userReportNeedsCommunity: () =>
    CommonErrors.validation([{ field: 'communityId', message: 'communityId is required to report a user' }], 'Say in which community you report this user'),
  targetNotFound: (type: string) => CommonErrors.notFound(type === 'message' ? 'Message' : type === 'user' ? 'User' : type === 'thread' ? 'Thread' : 'Post'),
  itemNotFound: () => CommonErrors.notFound('Review item'),
  notModerator: () => CommonErrors.forbidden('This requires the moderator role in this community'),
  itemChanged: () =>
    new AppError('REVIEW_ITEM_CHANGED', 409, 'The review item changed since you loaded it (someone resolved it or new reports came in); reload it'),
  notApplicable: (action: string, type: string) =>
    new AppError('ACTION_NOT_APPLICABLE', 422, `The action ${action} does not apply to a ${type} item`, { action, type }, [{ field: 'action', message: 'not applicable' }]),
  sanctionRequired: () => CommonErrors.validation([{ field: 'sanction', message: 'sanction is required for action sanction' }]),
  sanctionNotFound: () => CommonErrors.notFound('Sanction'),
  sanctionNotActive: () => new AppError('SANCTION_NOT_ACTIVE', 409, 'This sanction was already lifted or has expired'),
  memberNotFound: () => CommonErrors.notFound('Member'),
  cannotSanction: (role: string) => new AppError('CANNOT_SANCTION', 403, `You cannot sanction a member whose role is ${role}`, { role }),
  cannotSanctionSelf: () => new AppError('CANNOT_SANCTION', 403, 'You cannot sanction yourself'),
  untilInPast: () => CommonErrors.validation([{ field: 'until', message: 'until must be in the future' }]),
  rulesChanged: (version: string) =>
    new AppError('RULES_CHANGED', 409, 'The rules changed since you read them: read them again and reapply your change', { version }),
  badRule: (index: number, message: string) => CommonErrors.validation([{ field: `watchedWords[${index}].pattern`, message }]),
};
