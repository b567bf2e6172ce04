import { applyDecorators, CanActivate, ExecutionContext, Inject, Injectable, SetMetadata, UseGuards } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiBearerAuth, ApiForbiddenResponse, ApiNotFoundResponse, ApiParam } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AppError, CommonErrors } from '../errors/app-error';
import { COMMUNITY_ROLE_RESOLVER, CommunityRoleResolver } from './actor';
import { Role, roleAtLeast } from './roles';

const ROLE_KEY = 'hearth:community-role';

/**
 * Requires the caller to hold at least `role` in the community named by the route's `:slug`
 * (platform admins count as admin everywhere). Sets `request.community`. Every module's
 * community-scoped routes use this one pair; routes addressed by another id (a board, a thread)
 * check through CommunitiesService.requireRole with the community the resource belongs to.
 */
export const CommunityRole = (role: Role) =>
  applyDecorators(
    SetMetadata(ROLE_KEY, role),
    UseGuards(CommunityRoleGuard),
    ApiBearerAuth(),
    ApiParam({ name: 'slug', description: 'The community\'s slug', schema: { type: 'string', pattern: '^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$' } }),
    ApiForbiddenResponse({ description: `Requires the ${role} role in the community` }),
    ApiNotFoundResponse({ description: 'No such community' }),
  );

@Injectable()
export class CommunityRoleGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(COMMUNITY_ROLE_RESOLVER) private readonly resolver: CommunityRoleResolver,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const minimum = this.reflector.get<Role>(ROLE_KEY, context.getHandler()) ?? this.reflector.get<Role>(ROLE_KEY, context.getClass());
    const slug = (request.params as Record<string, string>).slug;
    if (!slug) throw new AppError('INTERNAL', 500, 'CommunityRole used on a route without :slug');
    const actor = request.actor ?? null;
    if (!actor) throw CommonErrors.unauthenticated();
    const community = await this.resolver.resolve(slug, actor);
    if (!community) throw CommonErrors.notFound('Community');
    if (!roleAtLeast(community.role, minimum)) {
      throw CommonErrors.forbidden(
        community.role ? `This requires the ${minimum} role in this community` : 'You are not a member of this community',
      );
    }
    request.community = community;
    return true;
  }
}
