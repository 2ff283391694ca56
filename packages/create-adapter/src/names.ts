/** Every spelling of one adapter's name that the template needs. */
export interface AdapterNames {
  /** The npm package name, e.g. `mailplug-acme-mail` or `@acme/mailplug-auth`. */
  readonly packageName: string;
  /** The auth provider id hosts store in account settings, e.g. `acme-mail`. */
  readonly providerId: string;
  /** What admins see, e.g. `Acme Mail`. */
  readonly label: string;
  /** `AcmeMail`: `createAcmeMail`, `AcmeMailOptions`. */
  readonly pascal: string;
  /** `acmeMail`: the default instance. */
  readonly camel: string;
}

/** A wrong argument to the scaffold; `hint` says what to pass instead. */
export class CreateAdapterError extends Error {
  override readonly name = 'CreateAdapterError';
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

const PROVIDER_ID = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
// npm's rules: lower case, URL-safe, an optional @scope/.
const PACKAGE_NAME = /^(@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/;
/** Ids of the first-party providers; the registry refuses a second package contributing one. */
const FIRST_PARTY_IDS = new Set([
  'basic',
  'gmail-oauth',
  'google-service-account',
  'm365-delegated',
  'm365-app-only',
]);

const words = (id: string) => id.split('-');
const capitalize = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

/**
 * Fills in the names the caller left out: the provider id from the package name (without a scope
 * and a leading `mailplug-`), the label from the id.
 *
 * @example
 * adapterNames({ packageName: 'mailplug-acme-mail' }); // providerId 'acme-mail', label 'Acme Mail', pascal 'AcmeMail'
 */
export function adapterNames(input: {
  readonly packageName: string;
  readonly providerId?: string;
  readonly label?: string;
}): AdapterNames {
  const { packageName } = input;
  if (!PACKAGE_NAME.test(packageName)) {
    throw new CreateAdapterError(
      `"${packageName}" is not a valid npm package name.`,
      'Use lower-case letters, digits and dashes, optionally with a scope: --name @acme/mailplug-auth.',
    );
  }
  const unscoped = packageName.replace(/^@[^/]+\//, '');
  const providerId = input.providerId ?? unscoped.replace(/^mailplug-/, '').replace(/^auth-/, '');
  if (!PROVIDER_ID.test(providerId)) {
    throw new CreateAdapterError(
      `"${providerId}" is not a valid provider id.`,
      'Pass --id with lower-case words joined by dashes, e.g. --id acme-mail.',
    );
  }
  if (FIRST_PARTY_IDS.has(providerId)) {
    throw new CreateAdapterError(
      `The provider id "${providerId}" belongs to a Mailplug package; a host cannot install both.`,
      'Pass --id with a name of your own, e.g. --id acme-mail.',
    );
  }
  const pascal = words(providerId).map(capitalize).join('');
  return {
    packageName,
    providerId,
    label: input.label?.trim() || words(providerId).map(capitalize).join(' '),
    pascal,
    camel: pascal.charAt(0).toLowerCase() + pascal.slice(1),
  };
}
