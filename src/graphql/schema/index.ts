import { builder } from '../builder.ts';
import './roots.ts';
import './scalars.ts';
import './errors.ts';
import './catalogMutations.ts';
import './customerMutations.ts';
import './orderMutations.ts';
import './orders.ts';

export const schema = builder.toSchema({ sortSchema: true });
