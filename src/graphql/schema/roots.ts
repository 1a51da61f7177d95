/** The root operation types; every module adds its own fields to them. */
import { builder } from '../builder.ts';

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
