export * from './settings.ts';
export * from './download.ts';
