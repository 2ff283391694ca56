import type { AdapterNames } from './names.js';

/** Version ranges the generated package.json pins. */
export interface TemplateVersions {
  readonly core: string;
  readonly testkit: string;
  readonly emulator: string;
  readonly typescript: string;
  readonly vitest: string;
  readonly typesNode: string;
}

/**
 * The generated package.json. Its `mailplug` key is the one source of the provider's id, label,
 * capabilities and settings schema: the registry reads it without loading code, and the provider
 * reads it back with core's `readAdapterManifest`.
 */
export function adapterPackageJson(names: AdapterNames, versions: TemplateVersions): Record<string, unknown> {
  return {
    name: names.packageName,
    version: '0.0.0',
    description: `${names.label} sign-in (OAuth 2.0) for Mailplug hosts: SMTP and IMAP.`,
    keywords: ['mailplug', 'mailplug-adapter', 'oauth2', 'smtp'],
    license: 'MIT',
    type: 'module',
    sideEffects: false,
    engines: { node: '>=20.19' },
    exports: {
      '.': { types: './dist/index.d.ts', default: './dist/index.js' },
      './package.json': './package.json',
    },
    files: ['dist'],
    scripts: {
      build: 'tsc -p tsconfig.build.json',
      typecheck: 'tsc -p tsconfig.json',
      test: 'vitest run',
      prepack: 'npm run build',
    },
    // One core per process: the host installs it, every adapter shares it.
    peerDependencies: { '@mailplug/core': versions.core },
    devDependencies: {
      '@mailplug/core': versions.core,
      '@mailplug/emulator': versions.emulator,
      '@mailplug/testkit': versions.testkit,
      '@types/node': versions.typesNode,
      typescript: versions.typescript,
      vitest: versions.vitest,
    },
    mailplug: {
      specificationVersion: 'v1',
      authProviders: [
        {
          id: names.providerId,
          label: names.label,
          description: `A user signs in with ${names.label} once; Mailplug keeps the refresh token and hands out access tokens for SMTP and IMAP (XOAUTH2).`,
          capabilities: {
            interactive: true,
            deviceCode: false,
            appOnly: false,
            protocols: ['smtp', 'imap'],
            credentialKind: 'oauth2',
          },
          settingsSchema: {
            fields: [
              {
                key: 'clientId',
                label: 'Client ID',
                type: 'string',
                required: true,
                description: `the OAuth app's client ID at ${names.label}`,
              },
              {
                key: 'clientSecret',
                label: 'Client secret',
                type: 'secret',
                required: true,
                description: "a reference to the app's client secret in the host's secret store",
              },
              {
                key: 'redirectUri',
                label: 'Redirect URI',
                type: 'url',
                description: 'the callback URL registered for the app',
              },
              {
                key: 'issuer',
                label: 'Issuer',
                type: 'url',
                default: 'https://id.example.com/oauth',
                description: 'the identity provider base URL; /authorize, /token and /revoke live under it',
              },
            ],
          },
        },
      ],
    },
  };
}
