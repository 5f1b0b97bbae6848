/** Builds the Worker's HTTP app: ops endpoints, the registry API under API_PREFIX, /openapi.json and /docs. */
import { API_PREFIX } from '@sentiment-edge/registry';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './env.ts';
import { notFound, onError } from './errors.ts';
import { newApp } from './openapi-app.ts';
import { aliasRoutes } from './routes/aliases.ts';
import { DOCS_HTML } from './routes/docs.ts';
import { fileRoutes } from './routes/files.ts';
import { modelRoutes } from './routes/models.ts';
import { WORKER_VERSION, opsRoutes } from './routes/ops.ts';
import { registerServingRoutes } from './serving/routes.ts';

export function buildApp(): OpenAPIHono<AppEnv> {
  const app = newApp();
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer', description: 'REGISTRY_TOKEN' });

  app.route('/', opsRoutes);
  app.route(API_PREFIX, modelRoutes);
  app.route(API_PREFIX, fileRoutes);
  app.route(API_PREFIX, aliasRoutes);
  registerServingRoutes(app);

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Sentiment Edge API',
      version: WORKER_VERSION,
      description: 'Model registry (D1 + R2) and edge serving for browser-first sentiment analysis. Writes need a bearer token.',
    },
  });
  app.get('/docs', (c) => c.html(DOCS_HTML));

  app.notFound(notFound);
  app.onError(onError);
  return app;
}
