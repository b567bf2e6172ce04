import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { CommunitiesModule } from './communities/communities.module';
import { AuthGuard } from './core/auth/auth.guard';
import { CoreModule, CoreRuntime } from './core/core.module';
import { IdentityModule } from './identity/identity.module';
import { BoardsModule } from './boards/boards.module';
import { QaModule } from './qa/qa.module';
import { SearchModule } from './search/search.module';
import { ThreadsModule } from './threads/threads.module';

@Module({})
export class AppModule {
  static forRoot(runtime: CoreRuntime): DynamicModule {
    return {
      module: AppModule,
      imports: [CoreModule.forRoot(runtime), IdentityModule, CommunitiesModule, BoardsModule, ThreadsModule, SearchModule, QaModule],
      providers: [{ provide: APP_GUARD, useClass: AuthGuard }],
    };
  }
}
