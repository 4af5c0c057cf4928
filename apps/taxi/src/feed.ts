/**
 * Reading the loading system's status feed (docs/loader.md: API clients): the city's
 * server exchanges its API client's secret for a 15-minute token at
 * POST /v1/oauth/token and pages GET /v1/feed from where it stopped. Through the
 * loader's typed client (@myna-ap/loader/client): the public HTTP API, nothing inside.
 */
import { ApiError, readFeedSince, systemClient } from '@myna-ap/loader/client';
import type { Db } from '@myna-ap/db';
import { TaxiError } from './errors.ts';
import { feedCursor, storeFeedPage } from './store.ts';

export interface LoaderLink {
  /** The loading system's URL (`myna serve`). */
  readonly server: string;
  /** The API client made with `myna client add --provider … --name マイタク`. */
  readonly clientId: string;
  readonly clientSecret: string;
  /** The taxi card AP's AID: only its user IDs are kept. */
  readonly aid: string;
}

/** Fetches every feed page since the stored cursor; answers how many taxi user IDs changed. */
export async function pollFeed(db: Db, link: LoaderLink): Promise<number> {
  try {
    return await readFeedSince(
      await systemClient(link),
      () => feedCursor(db),
      (page) => storeFeedPage(db, link.aid, page),
    );
  } catch (e) {
    if (e instanceof ApiError)
      throw new TaxiError('LOADER_FEED_FAILED', {
        en: `the loading system's status feed: ${e.code} ${e.text.en}`,
        ja: `カードAP搭載システムのステータス情報を取得できません: ${e.code} ${e.text.ja}`,
      });
    throw e;
  }
}
