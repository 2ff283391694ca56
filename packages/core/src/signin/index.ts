export * from './loopback-redirect.js';
