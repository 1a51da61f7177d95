// The cold-start bench's baseline (bench/coldStart.ts): the least a graphql-yoga server can be, plain
// JavaScript on the same Node as the API (no tsx, as `npm start` runs none), one field, on PORT.
import { createServer } from 'node:http';
import { createSchema, createYoga } from 'graphql-yoga';

const yoga = createYoga({
  schema: createSchema({ typeDefs: 'type Query { hello: String! }', resolvers: { Query: { hello: () => 'world' } } }),
  graphiql: false,
  logging: false,
});
createServer(yoga).listen(Number(process.env.PORT), '127.0.0.1');
