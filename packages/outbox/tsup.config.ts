import { mailplugTsupConfig } from '@mailplug/tsup-config';

// The shared preset plus a second entry: the store conformance suite (`@mailplug/outbox/testing`).
const preset = mailplugTsupConfig();

export default {
  ...preset,
  entry: { index: 'src/index.ts', testing: 'src/outbox-store-suite.ts' },
};
