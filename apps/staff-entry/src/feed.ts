/**
 * Reading the loading system's status feed (docs/loader.md: API clients): the
 * server exchanges its API client's secret for a token at POST /v1/oauth/token and
 * pages GET /v1/feed from where it stopped — through the loader's typed client, the
 * public HTTP API only (DESIGN.md floor 5). A card AP named lost is refused at the
 * next touch.
 */
import { ApiError, readFeedSince, systemClient } from '@myna-ap/loader/client';
import type { Db } from '@myna-ap/db';
import { StaffError } from './errors.ts';
import { feedCursor, storeFeedPage } from './store.ts';

export interface LoaderLink {
  /** The loading system's URL (`myna serve`). */
  readonly server: string;
  /** The API client made with `myna client add --provider … --name 職員証`. */
  readonly clientId: string;
  readonly clientSecret: string;
}

/** Fetches every feed page since the stored cursor; answers how many staff card AP user IDs changed. */
export async function pollFeed(db: Db, link: LoaderLink, aids: readonly string[]): Promise<number> {
  try {
    return await readFeedSince(
      await systemClient(link),
      () => feedCursor(db),
      (page) => storeFeedPage(db, aids, page),
    );
  } catch (e) {
    if (e instanceof ApiError)
      throw new StaffError('LOADER_FEED_FAILED', {
        en: `the loading system's status feed: ${e.code} ${e.text.en}`,
        ja: `カードAP搭載システムのステータス情報を取得できません: ${e.code} ${e.text.ja}`,
      });
    throw e;
  }
}
