/**
 * The city's side of the status feed: the pages are read by the kit's
 * `pollLoaderFeed` (the loader's public HTTP API, with the city's API client) and
 * only the taxi card AP's user IDs are kept.
 */
import { pollLoaderFeed, type LoaderLink as KitLoaderLink } from '@myna-ap/app-kit';
import type { Db } from '@myna-ap/db';
import { TaxiError } from './errors.ts';
import { feedCursor, storeFeedPage } from './store.ts';

export interface LoaderLink extends KitLoaderLink {
  /** The taxi card AP's AID: only its user IDs are kept. */
  readonly aid: string;
}

/** Fetches every feed page since the stored cursor; answers how many taxi user IDs changed. */
export const pollFeed = (db: Db, link: LoaderLink): Promise<number> =>
  pollLoaderFeed(
    link,
    () => feedCursor(db),
    (page) => storeFeedPage(db, link.aid, page),
    (t) => new TaxiError('LOADER_FEED_FAILED', t),
  );
