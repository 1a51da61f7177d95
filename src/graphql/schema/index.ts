import { assertEveryFieldHasARule } from '../authScopes.ts';
import { builder } from '../builder.ts';
import './roots.ts';
import './scalars.ts';
import './errors.ts';
import './catalogMutations.ts';
import './customerMutations.ts';
import './orderMutations.ts';
import './catalog.ts';
import './customers.ts';
import './orders.ts';
import './dashboard.ts';
import './audit.ts';
import './operations.ts';
import './liveFeed.ts';
import './paymentDeadlines.ts';

export const schema = assertEveryFieldHasARule(builder.toSchema({ sortSchema: true }));
