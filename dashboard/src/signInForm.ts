/** The staff sign-in form: email and password against Firebase Authentication (or its emulator). */
import { signInWithEmailAndPassword, type Auth } from 'firebase/auth';
import { h, render } from './dom.ts';
import { signInFailure, type AuthConfig } from './firebaseAuth.ts';

/**
 * Shows the form in `target`. Signing in succeeds silently: the page follows the auth state and replaces
 * the form. `notice` says why the user is here again (for instance, the API refused their last sign-in).
 */
export function showSignInForm(target: Element, auth: Auth, config: AuthConfig, notice?: string): void {
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true, autofocus: true });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const error = h('p', { class: 'error', role: 'alert', 'data-testid': 'sign-in-error' }, notice);
  const form = h(
    'form',
    { class: 'card sign-in', 'data-testid': 'sign-in' },
    h('h2', {}, 'Staff sign-in'),
    h('p', { class: 'muted' }, 'The live dashboard shows orders and customers as they happen: it is for operations staff.'),
    h('label', {}, 'Email', email),
    h('label', {}, 'Password', password),
    submit,
    error,
    config.emulatorUrl
      ? h(
          'p',
          { class: 'muted small', 'data-testid': 'auth-emulator' },
          `Development: accounts live in the Auth emulator at ${config.emulatorUrl}; `,
          h('code', {}, 'npm run dev'),
          ' prints the demo staff accounts.',
        )
      : null,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit.disabled = true;
    render(error);
    signInWithEmailAndPassword(auth, email.value.trim(), password.value).catch((failure: unknown) => {
      render(error, signInFailure(failure));
      submit.disabled = false;
      password.select();
    });
  });
  render(target, form);
  email.focus();
}
