import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { readsOnlyMetaFields } from '../src/graphql/deferredDeps.ts';

/** Which operations a new instance answers before its adapters have loaded (src/graphql/deferredDeps.ts). */
describe('operations that need no adapter', () => {
  it('are those that select only meta fields', () => {
    expect(readsOnlyMetaFields(parse('{ __typename }'))).toBe(true);
    expect(readsOnlyMetaFields(parse('query Probe { __typename __schema { queryType { name } } }'))).toBe(true);
  });

  it('exclude any data field, and fragments, which could reach one', () => {
    expect(readsOnlyMetaFields(parse('{ __typename products { edges { cursor } } }'))).toBe(false);
    expect(readsOnlyMetaFields(parse('{ ...F } fragment F on Query { products { edges { cursor } } }'))).toBe(false);
    expect(readsOnlyMetaFields(parse('{ ... on Query { __typename } }'))).toBe(false);
    expect(readsOnlyMetaFields(parse('mutation { __typename placeOrder }'))).toBe(false);
  });

  it('judge the operation that runs when the document holds several', () => {
    const document = parse('query Meta { __typename } query Data { products { edges { cursor } } }');
    expect(readsOnlyMetaFields(document, 'Meta')).toBe(true);
    expect(readsOnlyMetaFields(document, 'Data')).toBe(false);
    expect(readsOnlyMetaFields(document, 'Missing')).toBe(false);
  });
});
