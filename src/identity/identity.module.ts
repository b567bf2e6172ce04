import { Module } from '@nestjs/common';
import { ACCESS_TOKEN_VERIFIER } from '../core/auth/actor';
import { AuthController } from './auth.controller';
import { IdentityService } from './identity.service';
import { SessionsController } from './sessions.controller';
import { SessionsService } from './sessions.service';
import { AccountDeletionService } from './account-deletion.service';
import { AccountTokensRepository } from './account-tokens.repository';
import { EmailVerificationService } from './email-verification.service';
import { PasswordResetService } from './password-reset.service';
import { RecoveryClock } from './recovery.clock';
import { RecoveryController } from './recovery.controller';
import { RecoveryMail } from './recovery-mail';

@Module({
  controllers: [AuthController, SessionsController, RecoveryController],
  providers: [IdentityService, SessionsService, { provide: ACCESS_TOKEN_VERIFIER, useExisting: SessionsService },
    PasswordResetService, EmailVerificationService, AccountDeletionService, AccountTokensRepository, RecoveryMail, RecoveryClock],
  exports: [IdentityService, ACCESS_TOKEN_VERIFIER, AccountDeletionService, PasswordResetService, EmailVerificationService],
})
export class IdentityModule {}
