import { Module } from '@nestjs/common';
import { CommunitiesModule } from '../communities/communities.module';
import { ThreadsModule } from '../threads/threads.module';
import { SearchController } from './search.controller';
import { SearchService } from './search.service';

@Module({
  imports: [CommunitiesModule, ThreadsModule],
  controllers: [SearchController],
  providers: [SearchService],
})
export class SearchModule {}
