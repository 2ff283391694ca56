import { mailplugTsupConfig } from '@mailplug/tsup-config';

export default mailplugTsupConfig({ bin: 'src/cli.ts' });
