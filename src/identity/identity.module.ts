import { Module } from '@nestjs/common';
import { ACCESS_TOKEN_VERIFIER } from '../core/auth/actor';
import { AuthController } from './auth.controller';
import { IdentityService } from './identity.service';
import { SessionsController } from './sessions.controller';
import { SessionsService } from './sessions.service';

@Module({
  controllers: [AuthController, SessionsController],
  providers: [IdentityService, SessionsService, { provide: ACCESS_TOKEN_VERIFIER, useExisting: SessionsService }],
  exports: [IdentityService, ACCESS_TOKEN_VERIFIER],
})
export class IdentityModule {}
