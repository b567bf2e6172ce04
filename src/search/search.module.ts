import { Module } from '@nestjs/common';
import { BoardsModule } from '../boards/boards.module';
import { CommunitiesModule } from '../communities/communities.module';
import { ThreadsModule } from '../threads/threads.module';
import { MemorySearchIndex } from './memory/memory-search-index';
import { PgSearchIndex } from './pg-search-index';
import { SEARCH_INDEX } from './search-index';
import { SearchController } from './search.controller';
import { SearchTermsService } from './search-terms.service';
import { SearchService } from './search.service';

/**
 * Search: its own index (search_threads, search_posts; see SearchIndex for the seam a dedicated
 * engine would plug into), fed by its migration's triggers, with thread documents ranked in memory
 * (MemorySearchIndex, which hands the rest to PgSearchIndex); threads and posts are read through the
 * threads module's SearchSourceService. It also counts what is searched (SearchTermsService, its table
 * search_terms_daily) for the staff.
 */
@Module({
  imports: [CommunitiesModule, BoardsModule, ThreadsModule],
  controllers: [SearchController],
  providers: [SearchService, SearchTermsService, PgSearchIndex, MemorySearchIndex, { provide: SEARCH_INDEX, useExisting: MemorySearchIndex }],
  exports: [SearchService, SearchTermsService],
})
export class SearchModule {}
