/**
 * The live dashboard, for signed-in staff: every panel is driven by GraphQL subscriptions over one WebSocket
 * to the API. The page follows the Firebase auth state: signed out, the sign-in form; signed in, a session
 * (session.ts), which the API may refuse, showing the staff-only notice instead.
 */
import './style.css';
import { onIdTokenChanged, signOut, type Auth } from 'firebase/auth';
import { h, render } from './dom.ts';
import { loadAuthConfig, startAuth, type AuthConfig } from './firebaseAuth.ts';
import type { ConnectionState } from './graphqlClient.ts';
import { startSession, type Session } from './session.ts';
import { showSignInForm } from './signInForm.ts';

const byId = (id: string): HTMLElement => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element;
};

const view = byId('view');
const account = byId('account');
const signedInAs = byId('signed-in-as');
const signOutButton = byId('sign-out');
const indicator = byId('connection');

function showConnection(state: ConnectionState | null): void {
  indicator.hidden = state === null;
  indicator.dataset.state = state ?? 'closed';
  indicator.textContent = state === null ? '' : state === 'live' ? 'live' : `${state}…`;
}

function follow(auth: Auth, config: AuthConfig): void {
  let session: Session | null = null;
  let notice: string | undefined;

  const endSession = () => {
    session?.end();
    session = null;
  };
  const leave = (why?: string) => {
    notice = why;
    // The panels go at once, before Firebase has finished signing out.
    endSession();
    void signOut(auth);
  };
  signOutButton.addEventListener('click', () => leave());

  // Fires on sign-in, sign-out, and each token refresh; a refresh keeps the session (and its socket) as it is.
  onIdTokenChanged(auth, (user) => {
    if (user && session?.uid === user.uid) return;
    endSession();
    account.hidden = !user;
    render(signedInAs, user?.email ?? user?.uid);
    if (!user) {
      showSignInForm(view, auth, config, notice);
      notice = undefined;
      return;
    }
    session = startSession(user, { view, onState: showConnection, signOut: leave });
  });
}

async function main(): Promise<void> {
  showConnection(null);
  const config = await loadAuthConfig();
  if (!config) {
    render(
      view,
      h(
        'section',
        { class: 'card notice', 'data-testid': 'not-configured' },
        h('h2', {}, 'Sign-in is not configured'),
        h(
          'p',
          {},
          'This API does not say how to sign in to the dashboard: its Firebase web configuration is missing (see the README, "Signing in to the dashboard").',
        ),
      ),
    );
    return;
  }
  follow(startAuth(config), config);
}

main().catch((error: unknown) => {
  console.error(error);
  render(view, h('p', { class: 'card notice error' }, error instanceof Error ? error.message : String(error)));
});
