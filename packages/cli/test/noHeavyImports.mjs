// `node --import ./noHeavyImports.mjs …`: any import of the server, database or X.509
// libraries fails, so a test sees when help loads them.
import { register } from 'node:module';

const hook = `
const HEAVY = /^(fastify|@electric-sql\\/pglite|pg|pkijs|@peculiar\\/x509)(\\/|$)/;
export async function resolve(specifier, context, next) {
  if (HEAVY.test(specifier)) throw new Error('myna: imported ' + specifier);
  return next(specifier, context);
}`;
register('data:text/javascript,' + encodeURIComponent(hook));
