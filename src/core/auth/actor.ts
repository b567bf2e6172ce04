import { Role } from './roles';

/** Who is calling: set on the request by the AuthGuard when a valid access token is presented. */
export interface Actor {
  userId: string;
  sessionId: string;
  isPlatformAdmin: boolean;
}

/** The community a `:slug` route acts on, with the caller's effective role there (set by CommunityRoleGuard). */
export interface CommunityContext {
  id: string;
  slug: string;
  role: Role | null;
}

export interface AccessTokenVerifier {
  verify(token: string): Promise<Actor | null>;
  /** The actor of a web page session cookie (page-session.ts), or null when that session ended. */
  verifyBrowserToken(refreshToken: string): Promise<Actor | null>;
}
export const ACCESS_TOKEN_VERIFIER = Symbol('ACCESS_TOKEN_VERIFIER');

export interface CommunityRoleResolver {
  /** null when no community has this slug. Platform admins get `admin` everywhere. */
  resolve(slug: string, actor: Actor | null): Promise<CommunityContext | null>;
}
export const COMMUNITY_ROLE_RESOLVER = Symbol('COMMUNITY_ROLE_RESOLVER');

declare module 'fastify' {
  interface FastifyRequest {
    actor?: Actor | null;
    community?: CommunityContext;
  }
}
