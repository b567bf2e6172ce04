import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Chat: rooms of a community (public, private, direct, support), their members with read state,
 * and messages. A message's `seq` orders a room's history and read state; `client_id` makes a
 * resend idempotent. Support rooms carry their queue state and the first staff response time.
 */
export class Chat1764120000000 implements MigrationInterface {
  name = 'Chat1764120000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE chat_rooms (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        community_id uuid NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
        kind varchar(16) NOT NULL CHECK (kind IN ('public', 'private', 'direct', 'support')),
        name varchar(80) NOT NULL,
        created_by uuid NOT NULL REFERENCES users(id),
        direct_key varchar(80),
        support_status varchar(16) CHECK (support_status IN ('open', 'claimed', 'closed')),
        claimed_by uuid REFERENCES users(id),
        claimed_at timestamptz,
        closed_by uuid REFERENCES users(id),
        closed_at timestamptz,
        first_response_at timestamptz,
        last_seq bigint NOT NULL DEFAULT 0,
        last_message_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((kind = 'support') = (support_status IS NOT NULL)),
        CHECK ((kind = 'direct') = (direct_key IS NOT NULL))
      )`);
    // Opening a direct room again finds the existing one; one open support chat per customer.
    await q.query(`CREATE UNIQUE INDEX chat_rooms_direct_idx ON chat_rooms (community_id, direct_key) WHERE direct_key IS NOT NULL`);
    await q.query(`CREATE UNIQUE INDEX chat_rooms_support_open_idx ON chat_rooms (community_id, created_by) WHERE kind = 'support' AND support_status <> 'closed'`);
    await q.query(`CREATE INDEX chat_rooms_support_queue_idx ON chat_rooms (community_id, support_status, created_at, id) WHERE kind = 'support'`);
    await q.query(`CREATE INDEX chat_rooms_public_idx ON chat_rooms (community_id, created_at, id) WHERE kind = 'public'`);

    await q.query(`
      CREATE TABLE chat_room_members (
        room_id uuid NOT NULL REFERENCES chat_rooms(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        joined_at timestamptz NOT NULL DEFAULT now(),
        last_read_seq bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (room_id, user_id)
      )`);
    await q.query(`CREATE INDEX chat_room_members_user_idx ON chat_room_members (user_id, room_id)`);

    await q.query(`
      CREATE TABLE chat_messages (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        room_id uuid NOT NULL REFERENCES chat_rooms(id) ON DELETE CASCADE,
        seq bigint NOT NULL,
        author_id uuid NOT NULL REFERENCES users(id),
        client_id varchar(64) NOT NULL,
        body text NOT NULL,
        html text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        edited_at timestamptz,
        deleted_at timestamptz,
        hidden boolean NOT NULL DEFAULT false,
        UNIQUE (room_id, seq),
        UNIQUE (room_id, author_id, client_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE chat_messages');
    await q.query('DROP TABLE chat_room_members');
    await q.query('DROP TABLE chat_rooms');
  }
}
