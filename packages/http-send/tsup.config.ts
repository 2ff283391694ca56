import { mailplugTsupConfig } from '@mailplug/tsup-config';

export default mailplugTsupConfig();
