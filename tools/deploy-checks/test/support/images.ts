/**
 * An image reference is pinned when it names an explicit tag other than `latest` (a digest may follow:
 * `name:tag@sha256:…`). A bare name, `:latest`, or a digest without a tag (unreadable for a person)
 * is not.
 */
export function imageProblem(ref: string): string | undefined {
  if (ref.includes('${') || ref.includes('$(')) return `${ref}: a variable in an image reference is not a pin`;
  const [nameAndTag, digest] = ref.split('@');
  if (digest !== undefined && !/^sha256:[0-9a-f]{64}$/.test(digest)) return `${ref}: malformed digest`;
  const lastSlash = nameAndTag!.lastIndexOf('/');
  const lastPart = nameAndTag!.slice(lastSlash + 1);
  const colon = lastPart.indexOf(':');
  if (colon === -1) return `${ref}: no tag (resolves to :latest)`;
  const tag = lastPart.slice(colon + 1);
  if (tag === '' || tag === 'latest') return `${ref}: tag "${tag || '(empty)'}" is not a pin`;
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) return `${ref}: invalid tag`;
  return undefined;
}
