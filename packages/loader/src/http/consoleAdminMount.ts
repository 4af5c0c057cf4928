/**
 * What the console's administration screens read beside the loader API, mounted
 * through the seam under /v1/console (schemas: contract/console.ts):
 *
 *   GET /terminal-agents        the provider's terminal agents: enrolments waiting
 *                               (without their code), approved, revoked (administrators;
 *                               approving and revoking are the terminal channel's
 *                               POST /terminal/approve and /terminal/agents/:id/revoke)
 *   GET /providers/:id/webauthn whether the provider requires an authenticator
 *                               (its own operators, or the platform)
 *   GET /stats/daily?days=N     loads and refusals per Japan-time day, counted by the
 *                               database from the audit rows the operator may read
 *
 * Every answer is checked against its schema, as the loader's own routes are.
 */
import { notFound } from '../errors.ts';
import {
  dailyStatsQuery,
  dailyStatsSchema,
  terminalAgentSchema,
  webauthnPolicySchema,
} from '../contract/console.ts';
import { providerParams } from '../contract/schemas.ts';
import { requiresWebauthn } from '../store/consoleAuth.ts';
import { dailyLoadCounts } from '../store/dailyCounts.ts';
import { listAgents } from '../store/terminalAgentList.ts';
import type { Mount } from './mount.ts';
import { parseInput } from './mountInput.ts';

export function consoleAdminMount(): Mount {
  return {
    name: 'console-admin',
    prefix: '/v1/console',
    async plugin(app, mount) {
      const ctx = mount.loader;
      app.get('/terminal-agents', async (req) =>
        terminalAgentSchema.array().parse(await listAgents(ctx, mount.operatorOf(req))),
      );
      app.get('/providers/:id/webauthn', async (req) => {
        const s = mount.operatorOf(req);
        const { id } = parseInput('params', providerParams, req.params);
        // Another provider's policy does not exist for you.
        if (s.role !== 'platform' && s.providerId !== id) throw notFound('provider', id);
        return webauthnPolicySchema.parse({
          providerId: id,
          required: await requiresWebauthn(ctx, id),
        });
      });
      app.get('/stats/daily', async (req) => {
        const s = mount.operatorOf(req);
        const { days } = parseInput('query', dailyStatsQuery, req.query);
        return dailyStatsSchema.parse({ days: await dailyLoadCounts(ctx, s, days ?? 14) });
      });
    },
  };
}
