/**
 * Input checks for routes mounted through the seam (they are not in the loader's
 * route groups, which parse their input before the handler): the same refusal,
 * `400 VALIDATION` naming the first field that is wrong, in both languages.
 */
import type { z } from 'zod';
import { LoaderError } from '../errors.ts';

export function parseInput<T extends z.ZodType>(
  where: 'params' | 'query' | 'body',
  schema: T,
  value: unknown,
): z.infer<T> {
  const out = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (out.success) return out.data;
  const issues = out.error.issues.slice(0, 10).map((i) => ({
    path: [where, ...i.path.map(String)].join('.'),
    message: i.message,
  }));
  const first = issues[0]?.path ?? where;
  throw new LoaderError(
    'VALIDATION',
    {
      en: `invalid ${first}: ${issues[0]?.message ?? 'malformed'}`,
      ja: `入力が正しくありません（${first}）`,
    },
    400,
    { issues },
  );
}
