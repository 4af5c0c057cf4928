/**
 * Card files: a card image as JSON on disk. Saving is atomic — write a temporary
 * file beside the target, fsync it, rename it over the target, fsync the
 * directory — so a crash leaves the old card or the new one, never a torn file.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Card } from './card.ts';
import { CardImageError, parseCardImageJson, serializeCardImage, type CardImage } from './image.ts';

/** Reads and checks a card file and builds the card with all its applets. */
export async function loadCardFile(path: string): Promise<Card> {
  return Card.fromImage(await loadCardImage(path));
}

export async function loadCardImage(path: string): Promise<CardImage> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CardImageError(code === 'ENOENT' ? 'CARD_FILE_NOT_FOUND' : 'CARD_FILE_UNREADABLE', {
      en:
        code === 'ENOENT'
          ? `no card file at ${path}`
          : `cannot read card file ${path}: ${(e as Error).message}`,
      ja:
        code === 'ENOENT'
          ? `カードファイルがありません: ${path}`
          : `カードファイルを読めません: ${path}: ${(e as Error).message}`,
    });
  }
  return parseCardImageJson(text);
}

/** Saves the card's current image atomically. */
export async function saveCardFile(path: string, card: Card): Promise<void> {
  await saveCardImage(path, card.image);
}

export async function saveCardImage(
  path: string,
  image: CardImage,
  opts: { exclusive?: boolean } = {},
): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(serializeCardImage(image), 'utf8');
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await fh.close();
  try {
    if (opts.exclusive) await refuseExisting(path);
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  // Make the rename itself durable; not every platform lets a directory be opened.
  try {
    const d = await open(dir, 'r');
    await d.sync().finally(() => d.close());
  } catch {
    /* best effort (e.g. Windows) */
  }
}

async function refuseExisting(path: string): Promise<void> {
  try {
    await (await open(path, 'r')).close();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  throw new CardImageError('CARD_FILE_EXISTS', {
    en: `${path} already exists (use --force to replace it)`,
    ja: `${path} は既に存在します（置き換えるには --force）`,
  });
}
