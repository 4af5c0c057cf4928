/**
 * The staff entry server's side of the status feed: the pages are read by the
 * kit's `pollLoaderFeed` (the loader's public HTTP API, with the system's API
 * client) and only the staff card APs' user IDs are kept. A card AP named lost is
 * refused at the next touch.
 */
import { pollLoaderFeed, type LoaderLink } from '@myna-ap/app-kit';
import type { Db } from '@myna-ap/db';
import { StaffError } from './errors.ts';
import { feedCursor, storeFeedPage } from './store.ts';

export type { LoaderLink };

/** Fetches every feed page since the stored cursor; answers how many staff card AP user IDs changed. */
export const pollFeed = (db: Db, link: LoaderLink, aids: readonly string[]): Promise<number> =>
  pollLoaderFeed(
    link,
    () => feedCursor(db),
    (page) => storeFeedPage(db, aids, page),
    (t) => new StaffError('LOADER_FEED_FAILED', t),
  );
