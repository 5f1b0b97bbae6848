/** Builds the Worker's HTTP app: ops endpoints, the registry API under API_PREFIX, /openapi.json and /docs. */
import { API_PREFIX } from '@sentiment-edge/registry';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './env.ts';
import { notFound, onError } from './errors.ts';
import { newApp } from './openapi-app.ts';
import { aliasRoutes } from './routes/aliases.ts';
import { DOCS_CSS, DOCS_HTML, DOCS_JS } from './routes/docs.ts';
import { evaluationApp } from './routes/evaluations.ts';
import { feedbackApp } from './routes/feedback.ts';
import { fileRoutes } from './routes/files.ts';
import { modelRoutes } from './routes/models.ts';
import { WORKER_VERSION, opsRoutes } from './routes/ops.ts';
import { corsFromAllowList, requireJsonBody, securityHeaders } from './security-headers.ts';
import { monitorApp } from './monitor/routes.ts';
import { policyApp } from './monitor/policy-routes.ts';
import { registerServingRoutes } from './serving/routes.ts';

export function buildApp(): OpenAPIHono<AppEnv> {
  const app = newApp();
  // Outermost: every answer (errors and 404s included) gets the security headers.
  app.use('*', securityHeaders);
  app.use('*', corsFromAllowList);
  // The public POST routes take JSON only (415 otherwise): no cross-site form or text/plain posts.
  for (const path of ['/predict', `${API_PREFIX}/predict`, `${API_PREFIX}/history`, `${API_PREFIX}/feedback`]) {
    app.use(path, (c, next) => (c.req.method === 'POST' ? requireJsonBody(c, next) : next()));
  }
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer', description: 'REGISTRY_TOKEN' });

  app.route('/', opsRoutes);
  app.route(API_PREFIX, modelRoutes);
  app.route(API_PREFIX, fileRoutes);
  app.route(API_PREFIX, aliasRoutes);
  registerServingRoutes(app);
  app.route('/', evaluationApp());
  app.route('/', feedbackApp());
  app.route('/', monitorApp());
  app.route('/', policyApp());

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
