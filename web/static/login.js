// Parley staff sign-in: posts the email and password, then returns to the page that sent us here.
import { api } from './common.js';

const $ = (id) => document.getElementById(id);

/** next is where to go after signing in: a page of this site only. */
function next() {
  const n = new URLSearchParams(location.search).get('next') || 'agent.html';
  // Only a path of this site: not //host or /\host, which browsers read as another site.
  return /^\/(?![\/\\])/.test(n) ? n : 'agent.html';
}

$('login').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('login-status').textContent = 'Signing in…';
  try {
    await api('/v1/auth/session', { method: 'POST', json: { email: $('email').value, password: $('password').value } });
    location.assign(next());
  } catch (err) {
    $('login-status').textContent = err.status === 401 ? 'Wrong email or password.' : 'Could not sign in: ' + err.message;
    $('password').value = '';
    $('password').focus();
  }
});
