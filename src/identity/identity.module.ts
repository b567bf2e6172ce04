import { Module } from '@nestjs/common';
import { ACCESS_TOKEN_VERIFIER } from '../core/auth/actor';
import { AuthController } from './auth.controller';
import { IdentityService } from './identity.service';

@Module({
  controllers: [AuthController],
  providers: [IdentityService, { provide: ACCESS_TOKEN_VERIFIER, useExisting: IdentityService }],
  exports: [IdentityService, ACCESS_TOKEN_VERIFIER],
})
export class IdentityModule {}
