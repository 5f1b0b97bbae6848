/** FEEDBACK_TOKEN of the test Worker (vitest.config.ts binds it; tests send it as a trusted feedback client). */
export const FEEDBACK_TOKEN = 'feedback-token-0123456789';
