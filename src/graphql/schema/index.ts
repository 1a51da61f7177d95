import { builder } from '../builder.ts';
import './scalars.ts';
import './errors.ts';
import './orders.ts';

export const schema = builder.toSchema({ sortSchema: true });
