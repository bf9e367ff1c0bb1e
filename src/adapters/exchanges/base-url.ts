/** A configured exchange base URL is unusable. The message says why without quoting it (it may hold userinfo). */
export class ExchangeBaseUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExchangeBaseUrlError';
  }
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/**
 * Checks and normalises a base URL for an exchange (origin plus an optional path prefix, no
 * trailing slash). HTTPS only, except on loopback for the stub exchanges: the request carries
 * the API key and a signature a listener could replay within the exchange's time window.
 * No userinfo, query or fragment: the signed path and query are appended to it unchanged.
 */
export function parseExchangeBaseUrl(name: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ExchangeBaseUrlError(`${name}: not an absolute URL`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.test(url.hostname))) {
    throw new ExchangeBaseUrlError(`${name}: must be https (plain http only on loopback)`);
  }
  if (url.username !== '' || url.password !== '')
    throw new ExchangeBaseUrlError(`${name}: must not contain credentials`);
  if (url.search !== '' || url.hash !== '' || raw.includes('?') || raw.includes('#')) {
    throw new ExchangeBaseUrlError(`${name}: must not have a query or fragment`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
