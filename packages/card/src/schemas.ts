/** zod pieces shared by the card image and the free-area image validators. */
import { z } from 'zod';

export const hexSchema = z.string().regex(/^(?:[0-9a-f]{2})*$/, 'lower-case hex bytes');

/** A PIN object: salted digest and retry counter (never the PIN itself). */
export const pinSchema = z
  .object({
    salt: hexSchema,
    digest: hexSchema.length(64),
    maxTries: z.number().int().min(1).max(15),
    triesLeft: z.number().int().min(0).max(15),
  })
  .refine((p) => p.triesLeft <= p.maxTries, 'triesLeft must not exceed maxTries');
