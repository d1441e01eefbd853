// What can be checked about an address or a server name before anything goes over the
// network. The core checks again; these only spare the user a round trip.

/** A label of a domain name: letters (any script), digits and inner hyphens. */
const DOMAIN_LABEL = /^[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?$/u;

/**
 * The domain of `address` in lower case when it has the shape of an email address
 * (`local@domain`: no spaces or control characters, a domain of well-formed labels),
 * else `null`.
 */
export function emailDomain(address: string): string | null {
  const match = /^[^\s@\p{Cc}]+@([^\s@\p{Cc}]+)$/u.exec(address.trim());
  if (!match) return null;
  const domain = match[1].toLowerCase();
  return domain.split('.').every((label) => DOMAIN_LABEL.test(label)) ? domain : null;
}

/**
 * Whether the policy's `allowed` domains (none listed: any) take `domain`: one of them or
 * a subdomain of one, whatever the case, as the core decides it (`*.` and a final dot in
 * an entry change nothing).
 */
export function domainAllowed(domain: string, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  const wanted = trimDots(domain.toLowerCase());
  return allowed.some((entry) => {
    const allowedDomain = trimDots(entry.trim().toLowerCase().replace(/^\*\./, ''));
    return allowedDomain !== '' && (wanted === allowedDomain || wanted.endsWith(`.${allowedDomain}`));
  });
}

function trimDots(domain: string): string {
  return domain.replace(/\.+$/, '');
}

/** Whether `host` can be a server's name or address: no spaces, slashes, `@` or port. */
export function hostValid(host: string): boolean {
  return /^[^\s/@:\p{Cc}]+$/u.test(host.trim()) || /^\[[0-9a-f:.]+\]$/i.test(host.trim());
}

/** The port `text` names (1 to 65535), or `null`. */
export function parsePort(text: string): number | null {
  if (!/^\d{1,5}$/.test(text.trim())) return null;
  const port = Number(text.trim());
  return port >= 1 && port <= 65535 ? port : null;
}

/** The host of a server as `AccountSummary` gives it (`imaps://host:port`), or the text as it is. */
export function serverHost(url: string): string {
  const match = /^[a-z+]+:\/\/(\[[^\]]+\]|[^:/]+)/i.exec(url);
  return match ? match[1] : url;
}
