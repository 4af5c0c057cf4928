/**
 * Reading the loading system's status feed (docs/loader.md: API clients), for every
 * business system: its API client's secret is exchanged for a token and the feed
 * paged from the app's stored cursor, through the loader's typed client — the
 * public HTTP API only (DESIGN.md floor 5). Where the pages are kept is the app's.
 */
import { ApiError, readFeedSince, systemClient } from '@myna-ap/loader/client';
import type { Text } from '@myna-ap/text';

/** The loading system and the app's API client (`myna client add --provider … --name …`). */
export interface LoaderLink {
  /** The loading system's URL (`myna serve`). */
  readonly server: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

/** A feed page as the app keeps it. */
export type FeedPageOf = Parameters<Parameters<typeof readFeedSince>[2]>[0];

/**
 * Every page since `cursor()`, each given to `keep` (which answers how many of the
 * app's user IDs it kept); a refusal of the loader comes back as `fail(text)`.
 */
export async function pollLoaderFeed(
  link: LoaderLink,
  cursor: () => Promise<number>,
  keep: (page: FeedPageOf) => Promise<number>,
  fail: (text: Text) => Error,
): Promise<number> {
  try {
    return await readFeedSince(await systemClient(link), cursor, keep);
  } catch (e) {
    if (e instanceof ApiError)
      throw fail({
        en: `the loading system's status feed: ${e.code} ${e.text.en}`,
        ja: `カードAP搭載システムのステータス情報を取得できません: ${e.code} ${e.text.ja}`,
      });
    throw e;
  }
}
