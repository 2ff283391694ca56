/**
 * @mailplug/create-adapter — `npm create @mailplug/adapter <dir>`: scaffolds a Mailplug auth
 * provider package whose conformance tests pass out of the box.
 */
export { adapterPackageJson, type TemplateVersions } from './manifest.js';
export { type AdapterNames, adapterNames, CreateAdapterError } from './names.js';
export { type ScaffoldOptions, type ScaffoldResult, scaffoldAdapter } from './scaffold.js';
