/** Builds the Worker's HTTP app: ops endpoints, the registry API under API_PREFIX, /openapi.json and /docs. */
import { API_PREFIX } from '@sentiment-edge/registry';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './env.ts';
import { notFound, onError } from './errors.ts';
import { newApp } from './openapi-app.ts';
import { COUNTED_ROUTES, countErrors } from './routes/after-response.ts';
import { aliasesApp } from './routes/aliases.ts';
import { DOCS_CSS, DOCS_HTML, DOCS_JS } from './routes/docs.ts';
import { evaluationApp } from './routes/evaluations.ts';
import { feedbackApp } from './routes/feedback.ts';
import { filesApp } from './routes/files.ts';
import { historyApp } from './routes/history.ts';
import { keysApp } from './routes/keys.ts';
import { modelsApp } from './routes/models.ts';
import { monitoringApp } from './routes/monitoring.ts';
import { WORKER_VERSION, opsApp } from './routes/ops.ts';
import { policyApp } from './routes/policy.ts';
import { predictApp } from './routes/predict.ts';
import { servingOpsApp } from './routes/serving-ops.ts';
import { corsFromAllowList, requireJsonBody, securityHeaders } from './security-headers.ts';

/**
 * Every route module, as [base path, sub-app]: each sub-app declares its routes with `createRoute` and
 * `app.openapi`, so /openapi.json is generated from the same schemas that validate the requests.
 */
const ROUTES: readonly (readonly [string, () => OpenAPIHono<AppEnv>])[] = [
  ['/', opsApp],
  [API_PREFIX, modelsApp],
  [API_PREFIX, filesApp],
  [API_PREFIX, aliasesApp],
  ['/', predictApp],
  ['/', historyApp],
  ['/', servingOpsApp],
  ['/', evaluationApp],
  ['/', feedbackApp],
  ['/', monitoringApp],
  ['/', policyApp],
  ['/', keysApp],
];

export function buildApp(): OpenAPIHono<AppEnv> {
  const app = newApp();
  // Outermost: every answer (errors and 404s included) gets the security headers.
  app.use('*', securityHeaders);
  app.use('*', corsFromAllowList);
  // The public POST routes take JSON only (415 otherwise): no cross-site form or text/plain posts.
  for (const path of ['/predict', `${API_PREFIX}/predict`, `${API_PREFIX}/history`, `${API_PREFIX}/feedback`]) {
    app.use(path, (c, next) => (c.req.method === 'POST' ? requireJsonBody(c, next) : next()));
  }
  // Error answers of the serving routes, unknown paths under them included, count by route pattern (/metrics).
  for (const route of COUNTED_ROUTES) app.use(route, countErrors(route));
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer', description: 'REGISTRY_TOKEN (admin), READ_TOKEN (reader) or an API key (se_…) whose role is at least the route\'s x-role' });

  for (const [base, routes] of ROUTES) app.route(base, routes());

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Sentiment Edge API',
      version: WORKER_VERSION,
      description: 'Model registry (D1 + R2) and edge serving for browser-first sentiment analysis. Writes need a bearer token.',
    },
  });
  app.get('/docs', (c) => c.html(DOCS_HTML, 200, { 'Cache-Control': 'no-cache' }));
  app.get('/docs/docs.js', (c) => c.body(DOCS_JS, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache' }));
  app.get('/docs/docs.css', (c) => c.body(DOCS_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'no-cache' }));

  app.notFound(notFound);
  app.onError(onError);
  return app;
}
