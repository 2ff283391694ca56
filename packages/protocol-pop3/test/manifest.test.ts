import { readFileSync } from 'node:fs';
import type { ActivationContext, AdapterManifest, MailProtocol } from '@mailplug/core';
import { describe, expect, it } from 'vitest';
import { activate, pop3 } from '../src/index.js';

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  .mailplug as AdapterManifest;

describe('package manifest', () => {
  it('declares exactly what the protocol object is, deprecation included', () => {
    const [declared] = manifest.protocols ?? [];
    expect(manifest.specificationVersion).toBe('v1');
    expect(declared).toEqual({
      id: pop3.id,
      label: pop3.label,
      direction: pop3.direction,
      defaultPorts: pop3.defaultPorts,
      deprecated: pop3.deprecated,
    });
    expect(pop3.defaultPorts).toEqual({ starttls: 110, tls: 995, none: 110 });
  });

  it('activate registers the pop3 protocol and keeps the disposable', () => {
    const registered: MailProtocol[] = [];
    const context: ActivationContext = {
      packageName: '@mailplug/protocol-pop3',
      registerAuthProvider: () => ({ dispose() {} }),
      registerProtocol: (protocol) => {
        registered.push(protocol);
        return { dispose() {} };
      },
      subscriptions: [],
    };
    activate(context);
    expect(registered.map((p) => [p.id, p.direction])).toEqual([['pop3', 'receive']]);
    expect(context.subscriptions).toHaveLength(1);
  });
});
