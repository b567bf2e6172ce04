import { Module } from '@nestjs/common';
import { BoardsModule } from '../boards/boards.module';
import { CommunitiesModule } from '../communities/communities.module';
import { ThreadsModule } from '../threads/threads.module';
import { OverdueScheduler } from './overdue.scheduler';
import { QaController } from './qa.controller';
import { QaService } from './qa.service';

@Module({
  imports: [CommunitiesModule, BoardsModule, ThreadsModule],
  controllers: [QaController],
  providers: [QaService, OverdueScheduler],
  exports: [QaService],
})
export class QaModule {}
