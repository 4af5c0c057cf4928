/**
 * What the library keeps of a holder (利用者) besides the card: a name and a contact,
 * checked here, and the key two registrations are compared by when the card cannot
 * tell (a new card, or the card AP loaded again, gives a new user ID).
 */
import { LibraryError } from './errors.ts';

export interface HolderDetails {
  /** 氏名, as the holder writes it. */
  readonly name: string;
  /** 連絡先: a phone number or an e-mail address. */
  readonly contact: string;
}

const squash = (s: string) => s.normalize('NFKC').replace(/\s+/g, ' ').trim();

/** A holder's details from a form or JSON, or HOLDER_INVALID. */
export function holderDetailsFrom(input: { name?: unknown; contact?: unknown }): HolderDetails {
  const name = typeof input.name === 'string' ? squash(input.name) : '';
  const contact = typeof input.contact === 'string' ? squash(input.contact) : '';
  if (name.length < 1 || name.length > 100 || contact.length < 1 || contact.length > 100)
    throw new LibraryError('HOLDER_INVALID');
  return { name, contact };
}

/** A name as compared: without spaces, lower case (after the NFKC of holderDetailsFrom). */
export function sameName(name: string): string {
  return name.normalize('NFKC').replace(/\s/g, '').toLowerCase();
}

/**
 * The same person by the counter's eye: the name without spaces (全角/半角 folded by
 * NFKC), and the contact's digits for a phone, or the lower-cased address for e-mail.
 */
export function sameHolderKey(d: HolderDetails): string {
  const name = sameName(d.name);
  const contact = d.contact.includes('@')
    ? d.contact.toLowerCase().replace(/\s/g, '')
    : d.contact.replace(/\D/g, '');
  // A tab cannot be in either part: both lose their whitespace above.
  return `${name}\t${contact}`;
}
