import { COMMUNITIES_ENTITIES } from '../../communities/community.entity';
import { IDENTITY_ENTITIES } from '../../identity/user.entity';

/** Every module's TypeORM entities (each module owns its own; this list only registers them). */
export const ENTITIES = [...IDENTITY_ENTITIES, ...COMMUNITIES_ENTITIES];
