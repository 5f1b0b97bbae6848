/** Every sub-app is an OpenAPIHono whose validation failures become 400 `validation_failed`. */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './env.ts';
import { ApiError } from './errors.ts';

export function newApp(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw ApiError.validation(result.error.issues, result.target === 'json' ? 'request body' : `${result.target}`);
    },
  });
}
