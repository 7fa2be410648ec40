/**
 * The page's session is private by default: a new unguessable id (128 random bits) on every page
 * load, shared by handing out the page's link, which carries it in the fragment (`#session=<id>`;
 * a fragment is never sent to a server, so it stays out of access logs and Referer headers).
 */
const SESSION_PARAM = 'session';
/** The contract's session_id: 1-128 characters; the link's id is only prefilled, the hub validates it. */
const MAX_SESSION_CHARS = 128;

/** 128 random bits, base64url (22 characters). */
export function newSessionId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The session a link names (`#session=<id>`), else undefined. */
export function sessionIdFromHash(hash: string): string | undefined {
  const id = new URLSearchParams(hash.replace(/^#/, '')).get(SESSION_PARAM)?.trim();
  return id && id.length <= MAX_SESSION_CHARS ? id : undefined;
}

/** The link that opens this page in `sessionId`. */
export function sessionLink(pageUrl: string, sessionId: string): string {
  const url = new URL(pageUrl);
  url.hash = new URLSearchParams({ [SESSION_PARAM]: sessionId }).toString();
  return url.toString();
}
