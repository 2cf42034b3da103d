// Who is signed in: the account key this browser holds (keys.js) that the
// user chose, and the account the node knows it by. There is no server
// session: every request is signed with the key (api.js), as the CLI
// signs, so signing out only forgets which key to use.
import { api } from "./api.js";
import { loadKey } from "./keys.js";
import { el, replace } from "./dom.js";
import { t } from "./i18n.js";

const currentItem = "jurichain.key";

/** Remembers the key (its id in the key store) to sign with. */
export function useKey(id) {
  localStorage.setItem(currentItem, id);
}

/** Forgets which key to sign with; the key itself stays in the store. */
export function signOut() {
  localStorage.removeItem(currentItem);
}

/**
 * The signed-in user: {key, account, call(path, options)}, where call is
 * api() signed with the key; null when no key is chosen. A key the node
 * knows no account for yields {key, account: null}.
 */
export async function currentSession() {
  const id = localStorage.getItem(currentItem);
  if (!id) return null;
  let key = null;
  try {
    key = await loadKey(id);
  } catch (err) {
    // A key deleted in another tab: nobody is signed in any more.
    if (err?.code !== "keys.not_found") throw err;
  }
  if (!key) {
    signOut();
    return null;
  }
  const call = (path, options = {}) => api(path, { ...options, key });
  let account = null;
  try {
    account = await call("/v1/account");
  } catch (err) {
    if (err?.status !== 401 && err?.status !== 404) throw err;
  }
  return { key, account, call };
}

/** Shows who is signed in, with a way to sign out, in the page's header. */
export function showWho(session) {
  const who = document.getElementById("who");
  if (!who) return;
  if (!session?.account) {
    replace(who, el("a", { href: "/account", i18n: "session.signIn" }));
    return;
  }
  const a = session.account;
  const name = a.real_name?.name ?? a.id;
  replace(
    who,
    el("span", { class: "who-name", text: name }),
    " · ",
    el("span", { i18n: "role." + a.role }),
    " ",
    el("button", {
      type: "button",
      class: "lang",
      i18n: "session.signOut",
      onclick: () => {
        signOut();
        location.assign("/account");
      },
    }),
  );
}

/**
 * The session of a page that needs an approved account in one of roles;
 * otherwise it explains in container what to do (sign in, wait for the
 * review, use another account) and returns null.
 */
export async function requireSession(container, roles) {
  const session = await currentSession();
  showWho(session);
  const stop = (key, vars) => {
    replace(container, el("p", { class: "notice info", role: "status", text: t(key, vars) }), el("p", {}, el("a", { href: "/account", class: "button primary", i18n: "session.goToAccount" })));
    return null;
  };
  if (!session) return stop("session.needSignIn");
  if (!session.account) return stop("session.unknownKey");
  const a = session.account;
  if (a.status !== "approved") return stop("session.notApproved", { status: t("status." + a.status) });
  if (roles && !roles.includes(a.role)) {
    return stop("session.wrongRole", { role: t("role." + a.role), roles: roles.map((r) => t("role." + r)).join(t("session.or")) });
  }
  return session;
}
