/**
 * What a batch's status line says: its state, its card APs, and what was done —
 * 「完了：デモ図書館カード — 12枚中 11枚に搭載、1枚は搭載できず」, "Finished: Demo
 * library card — 11 of 12 loaded, 1 failed" (refused by a rule or the card, or the
 * card taken away: the batch's own table says why). With one card AP a load is a
 * card; with several the counts are of loads. Pure: the screen passes its `t`.
 */
import type { Batch } from './types.ts';

type T = (key: string, vars?: Record<string, unknown>) => string;

export function batchLine(t: T, b: Batch, names: readonly string[]): string {
  const head = `${t(`batch.state.${b.state}`)}${t('colon')}${names.join(t('sep'))}`;
  if (b.cards === 0) return `${head} — ${t('batch.noCards')}`;
  const one = b.cardApIds.length === 1;
  const parts = [t(one ? 'batch.loadedOne' : 'batch.loadedMany', b)];
  if (b.failed > 0) parts.push(t(one ? 'batch.failedOne' : 'batch.failedMany', b));
  if (b.unfinished > 0) parts.push(t(one ? 'batch.unfinishedOne' : 'batch.unfinishedMany', b));
  return `${head} — ${parts.join(t('sep'))}`;
}
