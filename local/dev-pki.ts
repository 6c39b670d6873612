// A certificate authority made on the spot, with server and client certificates it signs: TLS for the
// local stack and the tests without a pasted certificate (keys from node:crypto, certificates from node-forge).
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface Issued {
  readonly cert: string;
  readonly key: string;
}

export interface DevPki {
  readonly ca: Issued;
  /** A server certificate for 127.0.0.1 and localhost. */
  server(): Issued;
  /** A client certificate with this common name. */
  client(commonName: string): Issued;
}

// node-forge signs with RSA only here: every key is RSA (made by node:crypto, which is fast).
function rsa() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, publicPem: publicKey.export({ type: 'spki', format: 'pem' }) as string };
}

export function createDevPki(name = 'iot-jwt-authorizer dev CA'): DevPki {
  const caPair = rsa();
  const caKey = forge.pki.privateKeyFromPem(caPair.key);
  const caCert = forge.pki.createCertificate();
  const subject = [{ name: 'commonName', value: name }];
  caCert.publicKey = forge.pki.publicKeyFromPem(caPair.publicPem);
  caCert.serialNumber = `01${randomBytes(8).toString('hex')}`;
  caCert.validity.notBefore = new Date(Date.now() - 60_000);
  caCert.validity.notAfter = new Date(Date.now() + 365 * 86_400_000);
  caCert.setSubject(subject);
  caCert.setIssuer(subject);
  caCert.setExtensions([{ name: 'basicConstraints', cA: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true }]);
  caCert.sign(caKey, forge.md.sha256.create());
  const issue = (commonName: string, extensions: object[]): Issued => {
    const pair = rsa();
    const cert = forge.pki.createCertificate();
    cert.publicKey = forge.pki.publicKeyFromPem(pair.publicPem);
    cert.serialNumber = `01${randomBytes(8).toString('hex')}`;
    cert.validity.notBefore = new Date(Date.now() - 60_000);
    cert.validity.notAfter = new Date(Date.now() + 30 * 86_400_000);
    cert.setSubject([{ name: 'commonName', value: commonName }]);
    cert.setIssuer(subject);
    cert.setExtensions([{ name: 'basicConstraints', cA: false }, ...extensions]);
    cert.sign(caKey, forge.md.sha256.create());
    return { cert: forge.pki.certificateToPem(cert), key: pair.key };
  };
  return {
    ca: { cert: forge.pki.certificateToPem(caCert), key: caPair.key },
    server: () => issue('localhost', [{ name: 'extKeyUsage', serverAuth: true }, { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }]),
    client: (commonName) => issue(commonName, [{ name: 'extKeyUsage', clientAuth: true }]),
  };
}
