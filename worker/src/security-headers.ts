/**
 * Browser-facing protections for every response the Worker makes (API, /docs, /metrics, errors):
 * security headers, CORS from an allow-list, JSON-only bodies on the public POST routes, and a
 * Cache-Control default for JSON. The PWA's static files are served by the ASSETS binding before the
 * Worker runs, so they get the same headers from web/public/_headers (test/headers.test.ts checks
 * that both agree on a real `wrangler dev`).
 */
import type { Context, MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import type { AppEnv, Env } from './env.ts';
import { ApiError } from './errors.ts';

/**
 * One policy for the app and /docs: scripts only from this origin (no inline script anywhere),
 * WebAssembly compilation for onnxruntime-web ('wasm-unsafe-eval', not 'unsafe-eval'), Web Workers
 * from this origin or blob: URLs, fetch/XHR only to this origin, never framed.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "img-src 'self' data:",
  "style-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
};

/** Response headers are immutable on some responses (e.g. ones passed through from fetch): copy those first. */
function mutable(c: Context): Headers {
  try {
    c.res.headers.set('X-Content-Type-Options', 'nosniff');
    return c.res.headers;
  } catch {
    c.res = new Response(c.res.body, c.res);
    return c.res.headers;
  }
}

/**
 * HSTS, on answers to HTTPS requests (a browser ignores it over plain HTTP; `wrangler dev` is HTTP). Static
 * files bypass the Worker: a deployment turns HSTS on for them in the zone (README "Reliability and security").
 */
export const STRICT_TRANSPORT_SECURITY = 'max-age=31536000; includeSubDomains';

/** Security headers on every response (HSTS on HTTPS ones), and `Cache-Control: no-store` on JSON that set no caching itself. */
export const securityHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  const headers = mutable(c);
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) if (!headers.has(k)) headers.set(k, v);
  if (new URL(c.req.url).protocol === 'https:') headers.set('Strict-Transport-Security', STRICT_TRANSPORT_SECURITY);
  if (!headers.has('Cache-Control') && /^application\/([a-z.+-]*\+)?json\b/i.test(headers.get('Content-Type') ?? '')) headers.set('Cache-Control', 'no-store');
};

/** The origins `ALLOWED_ORIGINS` lists (comma-separated, e.g. `https://a.example,https://b.example`); empty = none. */
export function allowedOrigins(env: Pick<Env, 'ALLOWED_ORIGINS'>): string[] {
  return (env.ALLOWED_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim().replace(/\/+$/, ''))
    .filter(Boolean);
}

const corsHeaders = cors({
  origin: (origin, c: Context<AppEnv>) => (allowedOrigins(c.env).includes(origin) ? origin : null),
  allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
  allowHeaders: ['Content-Type', 'Authorization', 'If-None-Match', 'Range', 'X-Client-Key'],
  exposeHeaders: ['ETag', 'Content-Range', 'Accept-Ranges', 'Retry-After', 'X-Model-Version', 'X-Model-Ref', 'WWW-Authenticate'],
  maxAge: 600,
});

/**
 * CORS for the origins in ALLOWED_ORIGINS; requests from this origin itself need none. A preflight
 * (OPTIONS with Origin and Access-Control-Request-Method) from any other origin gets 403 in the error
 * shape; a plain cross-origin request is answered without CORS headers, so the browser withholds it
 * from the page that sent it.
 */
export const corsFromAllowList: MiddlewareHandler<AppEnv> = async (c, next) => {
  const origin = c.req.header('origin');
  if (!origin) return next();
  const self = new URL(c.req.url).origin;
  const allowed = origin === self || allowedOrigins(c.env).includes(origin);
  if (c.req.method === 'OPTIONS' && c.req.header('access-control-request-method')) {
    if (!allowed) {
      throw new ApiError(403, 'forbidden', `origin ${origin} may not call this API from a browser; the Worker's ALLOWED_ORIGINS lists the origins that may`, undefined, { Vary: 'Origin' });
    }
  }
  return corsHeaders(c, next);
};

/** Whether a Content-Type header names JSON (`application/json`, parameters such as charset allowed). */
export function isJsonContentType(header: string | undefined): boolean {
  return /^application\/json[ \t]*(;|$)/i.test(header ?? '');
}

/**
 * 415 unless the body is declared `application/json`. Browsers send text/plain, form and multipart
 * bodies cross-site without asking; JSON needs a CORS preflight, which only ALLOWED_ORIGINS pass.
 */
export const requireJsonBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  const type = c.req.header('content-type');
  if (!isJsonContentType(type)) {
    throw new ApiError(415, 'unsupported_media_type', `send the body as JSON with "Content-Type: application/json" (got ${type ? JSON.stringify(type) : 'no Content-Type'})`, undefined, { Accept: 'application/json' });
  }
  await next();
};
