/**
 * What a provider's business system (業務システム) does with the loader, unattended:
 * exchange its API client's secret for a 15-minute token (POST /v1/oauth/token,
 * client_secret_post), then page the status feed (GET /v1/feed) from where it
 * stopped. One place for both, so every system (apps/*) reads the feed the same
 * way; where it keeps the cursor and the pages is its own business.
 */
import { ApiClient } from './client.ts';
import type { FeedPage } from './contract/results.ts';

/** The API client a system was given (`myna client add`). */
export interface SystemCredentials {
  /** The loading system's URL. */
  readonly server: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

/** A client of the API with a fresh token of the system's API client. */
export async function systemClient(c: SystemCredentials): Promise<ApiClient> {
  const token = await new ApiClient(c.server).call('clientToken', {
    body: {
      grant_type: 'client_credentials',
      client_id: c.clientId,
      client_secret: c.clientSecret,
    },
  });
  return new ApiClient(c.server, token.access_token);
}

/** The most events a feed page asks for. */
export const FEED_PAGE = 1000;

/**
 * Every feed page after the system's cursor: `cursor()` says where it stands, `keep`
 * stores a page and moves the cursor past it (in one transaction, so a crash between
 * pages repeats none and skips none). Ends at an empty page, or when the cursor does
 * not move. Answers the sum of what `keep` answered (e.g. user IDs changed).
 */
export async function readFeedSince(
  api: ApiClient,
  cursor: () => Promise<number>,
  keep: (page: FeedPage) => Promise<number>,
): Promise<number> {
  let kept = 0;
  for (;;) {
    const since = await cursor();
    const page = await api.call('feed', {
      query: { since: String(since), limit: String(FEED_PAGE) },
    });
    if (page.events.length === 0) return kept;
    kept += await keep(page);
    if (page.next <= since) return kept;
  }
}
