/**
 * `sweepRollUps`: Cloud Scheduler calls it every minute (with an OIDC token, checked like a push's), as it calls
 * the payment deadlines' sweep. Projectors roll up the shards of a rolled-up view (the sales dashboard) as they
 * apply events, after every 8 contributions to a shard and at most once a second each (src/firestore/viewRollUp.ts);
 * what the last events of a burst contributed no later apply rolls up, so this folds it. Reads are exact either way:
 * this keeps what a read merges small. It answers with what it folded.
 */
import type { Request, Response } from '@google-cloud/functions-framework';
import { projections } from '../src/projections/all.ts';
import { authenticatePush } from './authenticatePush.ts';
import type { ProjectorRuntime } from './projectorHandler.ts';

export function createRollUpSweepHandler(runtime: () => ProjectorRuntime) {
  return async function rollUpSweepHandler(req: Request, res: Response): Promise<void> {
    const { projector, logger, pushAuthenticator } = runtime();
    if (!(await authenticatePush(req, res, pushAuthenticator, logger, { sweep: 'roll-ups' }))) return;
    const swept: Record<string, { shards: number; folded: number }> = {};
    for (const projection of projections.filter((p) => p.sharded?.rolledUp)) {
      swept[projection.name] = await projector.sweepRollUps(projection);
    }
    logger.info({ swept }, 'roll-ups swept');
    res.status(200).json(swept);
  };
}
