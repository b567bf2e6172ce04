import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { CommonErrors } from '../errors/app-error';
import { Actor, CommunityContext } from './actor';

/** The authenticated caller; throws 401 when there is none (use OptionalActor on @Public routes). */
export const CurrentActor = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor => {
  const actor = ctx.switchToHttp().getRequest<FastifyRequest>().actor;
  if (!actor) throw CommonErrors.unauthenticated();
  return actor;
});

export const OptionalActor = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Actor | null => ctx.switchToHttp().getRequest<FastifyRequest>().actor ?? null,
);

export const CurrentCommunity = createParamDecorator((_: unknown, ctx: ExecutionContext): CommunityContext => {
  const community = ctx.switchToHttp().getRequest<FastifyRequest>().community;
  if (!community) throw new Error('CurrentCommunity needs @CommunityRole on the route');
  return community;
});
