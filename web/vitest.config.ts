import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';

// Unit tests for the pure logic (store, sync, CSV, sha verification) and the .svelte.ts models (compiled by
// the Svelte plugin, so their $state fields work in Node); browser tests live in test/pwa.test.ts.
export default defineConfig({
  plugins: [svelte()],
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
