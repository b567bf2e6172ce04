import { UserView } from '../identity/dto/auth.dto';
import { NotificationView } from './dto/notifications.dto';
import { NotificationRow } from './notifications.repository';

export function toNotificationView(r: NotificationRow, users: Map<string, UserView>): NotificationView {
  return {
    id: r.id,
    type: r.type,
    communityId: r.community_id,
    actor: (r.actor_id && users.get(r.actor_id)) || null,
    threadId: r.thread_id,
    postId: r.post_id,
    roomId: r.room_id,
    title: r.title,
    excerpt: r.excerpt,
    url: r.url,
    count: r.count,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
    readAt: r.read_at ? new Date(r.read_at).toISOString() : null,
  };
}
