// The Content-Security-Policy and companion headers of every HTML page
// Hookline serves (GraphiQL at /graphql, the console at /). Pages load only
// their own origin's files: no inline or external script, no outside host
// reachable even by a page that was tricked into trying, and no framing.

export interface CspOptions {
  /**
   * Allow inline <style> elements and style attributes. GraphiQL's editor
   * (Monaco) writes its theme and decorations as <style> elements at run
   * time and cannot be given a nonce; styles cannot run code.
   */
  inlineStyles?: boolean;
  /** Extra script sources (for example "'sha256-…'" of a fixed inline script); none by default. */
  scriptSources?: string[];
}

/** The policy as one header value. */
export function contentSecurityPolicy(opts: CspOptions = {}): string {
  const directives: Record<string, string[]> = {
    'default-src': ["'none'"],
    'script-src': ["'self'", ...(opts.scriptSources ?? [])],
    // Web workers (GraphiQL's editor) come from this origin only.
    'worker-src': ["'self'"],
    'style-src': ["'self'", ...(opts.inlineStyles ? ["'unsafe-inline'"] : [])],
    'img-src': ["'self'", 'data:'],
    'font-src': ["'self'", 'data:'],
    // 'self' covers ws:// and wss:// to this host as well (CSP Level 3).
    'connect-src': ["'self'"],
    'manifest-src': ["'self'"],
    'base-uri': ["'none'"],
    'form-action': ["'none'"],
    'object-src': ["'none'"],
    'frame-ancestors': ["'none'"],
  };
  return Object.entries(directives)
    .map(([name, values]) => `${name} ${values.join(' ')}`)
    .join('; ');
}

/** Headers for an HTML page: the policy plus the usual hardening that browsers without CSP still honour. */
export function htmlSecurityHeaders(opts: CspOptions = {}): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(opts),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
  };
}

/** Headers for a static asset (script, stylesheet, worker) served next to those pages. */
export const assetSecurityHeaders: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'cross-origin-resource-policy': 'same-origin',
};
