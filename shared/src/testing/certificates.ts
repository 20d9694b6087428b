import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let certificate: { key: string; cert: string } | undefined;

/**
 * A self-signed P-256 certificate for 127.0.0.1 and localhost (PEM key and certificate), made once
 * per test process by the `openssl` binary; tests trust it as the only CA of their clients.
 */
export function localhostCertificate(): { key: string; cert: string } {
  if (certificate !== undefined) return certificate;
  const directory = mkdtempSync(join(tmpdir(), 'sc-cert-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(directory, 'key.pem'),
        '-out',
        join(directory, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: 'ignore' },
    );
    certificate = {
      key: readFileSync(join(directory, 'key.pem'), 'utf8'),
      cert: readFileSync(join(directory, 'cert.pem'), 'utf8'),
    };
    return certificate;
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
