/** Helpers shared by the bulk seeds (seedBoard, seedQuestions). */
import { Client } from 'pg';

/**
 * Bulk loads skip the triggers (search's index, and the foreign-key checks: the seed writes consistent
 * rows) when the role may (a superuser); reindexSearch() then fills search's index in one go.
 * Returns whether they are off.
 */
export async function bulkLoadMode(client: Client): Promise<boolean> {
  return client.query('SET session_replication_role = replica').then(
    () => true,
    () => false,
  );
}

/** Search's index for the community (search_threads, search_posts): set-based, for what the triggers did not see. */
export async function reindexSearch(client: Client, communityId: string, triggersOff: boolean): Promise<void> {
  if (!triggersOff) return;
  await client.query('SET session_replication_role = DEFAULT');
  await client.query('SELECT search_reindex($1)', [communityId]);
}
