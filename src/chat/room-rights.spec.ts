import { Actor } from '../core/auth/actor';
import { RoomAccessRow } from './chat.repository';
import { roomRights } from './room-rights';

const ME = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';
const actor: Actor = { userId: ME, sessionId: 's', isPlatformAdmin: false };

function room(patch: Partial<RoomAccessRow>): RoomAccessRow {
  return {
    id: 'r', community_id: 'c', kind: 'public', name: 'n', created_by: OTHER, direct_key: null, support_status: null,
    claimed_by: null, claimed_at: null, closed_by: null, closed_at: null, first_response_at: null, last_seq: '0',
    last_message_at: null, created_at: new Date(), viewer_role: 'member', in_room: false, last_read_seq: null, ...patch,
  };
}
const code = (e: Error | null) => (e as { code?: string } | null)?.code ?? null;

describe('roomRights', () => {
  it('public rooms: members of the community read and write; others and guests nothing', () => {
    expect(roomRights(room({}), actor)).toMatchObject({ read: true, sendError: null });
    expect(roomRights(room({ viewer_role: null }), actor).read).toBe(false);
    expect(roomRights(room({}), null).read).toBe(false);
  });

  it('private and direct rooms: their members only, moderators included', () => {
    for (const kind of ['private', 'direct'] as const) {
      expect(roomRights(room({ kind, in_room: true }), actor)).toMatchObject({ read: true, sendError: null });
      expect(roomRights(room({ kind, in_room: false, viewer_role: 'moderator' }), actor).read).toBe(false);
      expect(roomRights(room({ kind, in_room: true, viewer_role: null }), actor).read).toBe(false);
    }
  });

  it('the platform admin counts as admin of every community, not as a member of private rooms', () => {
    const admin = { ...actor, isPlatformAdmin: true };
    expect(roomRights(room({ viewer_role: null }), admin)).toMatchObject({ read: true, role: 'admin' });
    expect(roomRights(room({ kind: 'private', viewer_role: null }), admin).read).toBe(false);
  });

  it('support rooms: the customer and staff read; staff answer once they claimed it; closed is read-only', () => {
    const open = { kind: 'support' as const, support_status: 'open' as const };
    expect(roomRights(room({ ...open, created_by: ME }), actor)).toMatchObject({ read: true, sendError: null });
    expect(roomRights(room({ ...open }), actor).read).toBe(false);
    expect(code(roomRights(room({ ...open, viewer_role: 'staff' }), actor).sendError)).toBe('SUPPORT_NOT_CLAIMED');
    expect(code(roomRights(room({ kind: 'support', support_status: 'claimed', claimed_by: OTHER, viewer_role: 'staff' }), actor).sendError)).toBe('SUPPORT_CLAIMED_BY_OTHER');
    expect(roomRights(room({ kind: 'support', support_status: 'claimed', claimed_by: ME, viewer_role: 'staff' }), actor).sendError).toBeNull();
    expect(code(roomRights(room({ kind: 'support', support_status: 'closed', created_by: ME }), actor).sendError)).toBe('ROOM_CLOSED');
  });
});
