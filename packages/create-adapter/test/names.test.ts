import { expect, it } from 'vitest';
import { adapterNames, CreateAdapterError } from '../src/index.js';

it('derives id, label and identifiers from the package name', () => {
  expect(adapterNames({ packageName: 'mailplug-acme-mail' })).toEqual({
    packageName: 'mailplug-acme-mail',
    providerId: 'acme-mail',
    label: 'Acme Mail',
    pascal: 'AcmeMail',
    camel: 'acmeMail',
  });
  expect(adapterNames({ packageName: '@acme/mailplug-auth-zoho' }).providerId).toBe('zoho');
  expect(adapterNames({ packageName: 'x', providerId: 'corp-idp', label: ' Corp ID ' })).toMatchObject({
    providerId: 'corp-idp',
    label: 'Corp ID',
    pascal: 'CorpIdp',
  });
});

it('refuses bad package names and ids, and the ids of first-party providers, with the fix', () => {
  const failure = (input: Parameters<typeof adapterNames>[0]) => {
    try {
      adapterNames(input);
    } catch (error) {
      return error;
    }
    throw new Error('expected a CreateAdapterError');
  };
  expect(failure({ packageName: 'Acme Mail' })).toMatchObject({ hint: expect.stringContaining('--name') });
  expect(failure({ packageName: 'ok', providerId: 'Acme_Mail' })).toMatchObject({
    hint: expect.stringContaining('--id'),
  });
  const taken = failure({ packageName: 'mailplug-gmail-oauth' });
  expect(taken).toBeInstanceOf(CreateAdapterError);
  expect(taken).toMatchObject({ message: expect.stringContaining('belongs to a Mailplug package') });
});
