/** How far each projection trails the event store, and its pending dead letters, from `projectionLag`. */
import { h, render } from './dom.ts';
import { formatLag, formatTime } from './format.ts';
import type { GraphQLConnection } from './graphqlClient.ts';

const LAG = /* GraphQL */ `
  subscription DashboardLag { projectionLag { projection lagSeconds lastAppliedEventAt pendingDeadLetters rebuilding } }
`;

interface Lag {
  projectionLag: Array<{
    projection: string;
    lagSeconds: number;
    lastAppliedEventAt: string | null;
    pendingDeadLetters: number;
    rebuilding: boolean;
  }>;
}

export function showLag(connection: GraphQLConnection, target: Element): void {
  render(target, h('p', { class: 'muted' }, 'reading the projections…'));
  connection.subscribe<Lag>(LAG, {}, ({ projectionLag }) => {
    render(
      target,
      h(
        'table',
        { 'data-testid': 'projection-lag' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, 'projection'),
            h('th', { class: 'num' }, 'lag'),
            h('th', {}, 'last applied'),
            h('th', { class: 'num' }, 'dead letters'),
          ),
        ),
        h(
          'tbody',
          {},
          ...projectionLag.map((p) =>
            h(
              'tr',
              { 'data-projection': p.projection, class: health(p.lagSeconds, p.pendingDeadLetters) },
              h('td', {}, p.projection, p.rebuilding ? h('span', { class: 'badge' }, 'rebuilding') : null),
              h('td', { class: 'num' }, formatLag(p.lagSeconds)),
              h('td', {}, p.lastAppliedEventAt ? formatTime(p.lastAppliedEventAt) : '—'),
              h('td', { class: 'num' }, p.pendingDeadLetters),
            ),
          ),
        ),
      ),
    );
  });
}

function health(lagSeconds: number, deadLetters: number): string {
  if (deadLetters > 0 || lagSeconds >= 10) return 'bad';
  return lagSeconds >= 2 ? 'warn' : 'good';
}
