import { CanActivate, ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { CommonErrors } from '../errors/app-error';
import { ACCESS_TOKEN_VERIFIER, AccessTokenVerifier } from './actor';

const PUBLIC_KEY = 'hearth:public';
/** The route also answers guests (no token). A token, when sent, must still be valid. */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match ? match[1] : '';
}

/** Global guard: authenticates every request; routes are private unless marked @Public(). */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(ACCESS_TOKEN_VERIFIER) private readonly verifier: AccessTokenVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, [context.getHandler(), context.getClass()]);
    const token = bearerToken(request);
    request.actor = null;
    if (token === null) {
      if (isPublic) return true;
      throw CommonErrors.unauthenticated();
    }
    const actor = token ? await this.verifier.verify(token) : null;
    if (!actor) throw CommonErrors.unauthenticated('The access token is invalid, expired or revoked');
    request.actor = actor;
    return true;
  }
}
