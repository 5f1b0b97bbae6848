export * from './names.ts';
export * from './manifest.ts';
export * from './api.ts';
export * from './ref.ts';
export * from './gate.ts';
export * from './paired-test.ts';
export * from './client.ts';
export * from './classifier.ts';
