/**
 * __PACKAGE_NAME__ — __LABEL__ sign-in for Mailplug hosts.
 */
export { __CAMEL__, type __PASCAL__Options, activate, create__PASCAL__ } from './__FILE__-provider.js';
