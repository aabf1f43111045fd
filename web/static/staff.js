// Staff sign-in helpers for the console, dashboard and explorer: the CSRF header every
// state-changing call sends, the way back to the sign-in page when the session ends, and sign-out.
import { api } from './common.js';

/** cookie returns the value of a cookie, or ''. */
function cookie(name) {
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return '';
}

/** csrfHeaders are the headers a state-changing call of a signed-in session needs. */
export function csrfHeaders() {
  const t = cookie('parley_csrf');
  return t ? { 'X-CSRF-Token': t } : {};
}

/** toSignIn sends the browser to the sign-in page, back here afterwards. */
export function toSignIn() {
  location.assign('login.html?next=' + encodeURIComponent(location.pathname + location.search));
}

/** signedOut reports an error meaning the session ended, and then goes to the sign-in page. */
export function signedOut(err) {
  if (err && err.status === 401) { toSignIn(); return true; }
  return false;
}

/** staffNav shows who is signed in and a sign-out button in the page's top bar. */
export async function staffNav() {
  const nav = document.querySelector('.topbar nav');
  if (!nav) return;
  let me;
  try { me = await api('/v1/auth/session'); } catch (e) { signedOut(e); return; }
  if (!me || me.kind !== 'staff') return; // an open install has nobody to sign out
  const who = document.createElement('span');
  who.className = 'muted small';
  who.id = 'signed-in';
  who.textContent = `${me.email} (${me.role})`;
  who.style.margin = '0 8px 0 16px';
  const out = document.createElement('button');
  out.type = 'button';
  out.className = 'btn';
  out.id = 'sign-out';
  out.textContent = 'Sign out';
  out.addEventListener('click', async () => {
    try { await api('/v1/auth/session', { method: 'DELETE', headers: csrfHeaders() }); } catch { /* signed out anyway */ }
    toSignIn();
  });
  nav.append(who, out);
}
