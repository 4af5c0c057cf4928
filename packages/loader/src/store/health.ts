/** The health check's one question to the database: does it answer? */
import type { Queryable } from '@myna-ap/db';

export async function databaseAnswers(db: Queryable): Promise<void> {
  await db.query('SELECT 1');
}
