import { Module } from '@nestjs/common';
import { CommunitiesModule } from '../communities/communities.module';
import { ThreadsModule } from '../threads/threads.module';
import { SearchController } from './search.controller';

@Module({
  imports: [CommunitiesModule, ThreadsModule],
  controllers: [SearchController],
})
export class SearchModule {}
