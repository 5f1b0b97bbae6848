export * from './settings.ts';
export * from './download.ts';
export * from './cli.ts';
