import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { caFingerprint, certCovers, generateCA, generateServingCert } from './certs.js';

test('serving certificate is signed by the CA and covers the requested names', async () => {
  const ca = await generateCA();
  const serving = await generateServingCert(ca, ['localhost', '127.0.0.1', '::1', 'example.test']);
  const caCert = new X509Certificate(ca.certPem);
  const cert = new X509Certificate(serving.certPem);
  assert.ok(cert.verify(caCert.publicKey), 'serving cert verifies against the CA key');
  assert.ok(cert.checkHost('example.test'));
  assert.ok(cert.checkIP('127.0.0.1'));
  assert.ok(certCovers(serving.certPem, ['localhost', '127.0.0.1', '::1']));
  assert.ok(!certCovers(serving.certPem, ['other.test']));
  assert.match(caFingerprint(ca.certPem), /^[0-9a-f]{64}$/);
});
