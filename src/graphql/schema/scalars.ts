import { GraphQLError } from 'graphql';
import { builder } from '../builder.ts';

/** An instant as an ISO 8601 string with offset, e.g. 2026-11-29T15:00:00Z. */
builder.scalarType('DateTime', {
  description: 'An instant in time, as an ISO 8601 string with a UTC offset.',
  serialize: (value) => (value instanceof Date ? value.toISOString() : new Date(value).toISOString()),
  parseValue: (value) => {
    const date = typeof value === 'string' ? new Date(value) : null;
    if (!date || Number.isNaN(date.getTime())) throw new GraphQLError('DateTime must be an ISO 8601 string');
    return date;
  },
});

/** Event data in the audit trail: any JSON value, passed through as it is stored. */
builder.scalarType('JSON', {
  description: 'Any JSON value.',
  serialize: (value) => value,
  parseValue: (value) => value,
});
