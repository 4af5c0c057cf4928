/**
 * The library's side of the status feed: the pages are read by the kit's
 * `pollLoaderFeed` (the loader's public HTTP API, with the library's API client) and
 * only the library card AP's user IDs are kept.
 */
import { pollLoaderFeed, type LoaderLink } from '@myna-ap/app-kit';
import type { Db } from '@myna-ap/db';
import { LibraryError } from './errors.ts';
import { feedCursor, storeFeedPage } from './store.ts';

export type { LoaderLink };

/** Fetches every feed page since the stored cursor; answers how many library user IDs changed. */
export const pollFeed = (db: Db, link: LoaderLink, aid: string): Promise<number> =>
  pollLoaderFeed(
    link,
    () => feedCursor(db),
    (page) => storeFeedPage(db, aid, page),
    (t) => new LibraryError('LOADER_FEED_FAILED', t),
  );
