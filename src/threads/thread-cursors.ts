import { cursorKind } from '../core/pagination/cursors';

/**
 * The keyset of each thread and post list, per sort order. Timestamps are PostgreSQL's own text
 * (microseconds), so a page boundary never falls between two rows of the same millisecond.
 */
export const CURSORS = {
  latest: cursorKind<[boolean, string, string]>('threads:latest', 'bool', 'timestamp', 'uuid'),
  top: cursorKind<[number, string, string]>('threads:top', 'int', 'timestamp', 'uuid'),
  unanswered: cursorKind<[string, string]>('threads:unanswered', 'timestamp', 'uuid'),
  posts: cursorKind<[number]>('posts:oldest', 'int'),
  postsByScore: cursorKind<[number, number, number]>('posts:score', 'int', 'int', 'int'),
};
