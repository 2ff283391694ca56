import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * The AES-256-GCM envelope every encrypted Mailplug store uses (the embedded file store and the
 * codec hosts hand to shared stores such as Redis):
 *
 *   MAGIC "MPTS" | version (1 byte) | IV (12 bytes) | GCM tag (16 bytes) | ciphertext
 *
 * The 5-byte header is authenticated as AAD, so a flipped version byte is detected like any other
 * tampering.
 */
const MAGIC = Buffer.from('MPTS', 'ascii');
const FORMAT_VERSION = 1;
const HEADER_LENGTH = MAGIC.length + 1;
const IV_LENGTH = 12;
const TAG_LENGTH = 16;

/** Why a sealed payload could not be opened, in words an admin can act on. */
export class SealedPayloadError extends Error {
  override readonly name = 'SealedPayloadError';
}

export function sealPayload(key: Buffer, plaintext: string): Buffer {
  const iv = randomBytes(IV_LENGTH);
  const header = Buffer.concat([MAGIC, Buffer.from([FORMAT_VERSION])]);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_LENGTH });
  cipher.setAAD(header);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([header, iv, cipher.getAuthTag(), body]);
}

export function openPayload(key: Buffer, data: Buffer): string {
  if (data.length < HEADER_LENGTH + IV_LENGTH + TAG_LENGTH || !data.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new SealedPayloadError('it is not Mailplug-encrypted data');
  }
  const version = data[MAGIC.length];
  if (version !== FORMAT_VERSION) {
    throw new SealedPayloadError(
      `it uses format version ${version}, which this version of Mailplug does not know`,
    );
  }
  const iv = data.subarray(HEADER_LENGTH, HEADER_LENGTH + IV_LENGTH);
  const tag = data.subarray(HEADER_LENGTH + IV_LENGTH, HEADER_LENGTH + IV_LENGTH + TAG_LENGTH);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_LENGTH });
    decipher.setAAD(data.subarray(0, HEADER_LENGTH));
    decipher.setAuthTag(tag);
    const body = data.subarray(HEADER_LENGTH + IV_LENGTH + TAG_LENGTH);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  } catch {
    // Deliberately no cause: OpenSSL's message adds nothing and the admin only needs the key options.
    throw new SealedPayloadError('the key is wrong or the data was modified');
  }
}
