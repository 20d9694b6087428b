/**
 * Nothing in the repository looks like a secret (issue 12): every file git tracks, and every file it
 * would track (untracked and not ignored, so a key is caught before its first commit), is scanned
 * for the shapes secrets take: private keys, cloud and chat tokens, JWTs, URLs with a password, and
 * secret-named settings given a random-looking literal. What legitimately looks like one is listed
 * in ALLOWED with the reason; the rules themselves are proven on samples built at run time (never
 * written out here, so this file passes its own scan).
 */
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './lib/function-catalog';

interface Rule {
  name: string;
  /** Global: every occurrence is a candidate. */
  pattern: RegExp;
  /** Whether a candidate is a secret (default: every one is). */
  isSecret?: (match: RegExpExecArray) => boolean;
}

interface Finding {
  file: string;
  line: number;
  rule: string;
  match: string;
}

// --- the rules ---------------------------------------------------------------------------------------

/** Bits per character of a string's own character distribution. */
function entropy(value: string): number {
  const counts = new Map<string, number>();
  for (const char of value) counts.set(char, (counts.get(char) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) bits -= (count / value.length) * Math.log2(count / value.length);
  return bits;
}

/** Passwords in example URLs: the word itself, an ellipsis, stars or x's, or template syntax. */
const PLACEHOLDER_PASSWORD =
  /^(?:password|passwd|pass|pwd|secret|changeme|redacted|\*+|x+|…|\.\.\.)$|^[$<{%]/i;
/**
 * Hosts no deployment uses: loopback (test servers on this machine), example.com/org/net, and the
 * top-level names RFC 2606 reserves (.example, .test, .invalid, .localhost).
 */
const PLACEHOLDER_HOST =
  /^(?:localhost|127(?:\.\d+){3}|\[::1\]|(?:[\w-]+\.)*example\.(?:com|org|net)|(?:[\w-]+\.)+(?:example|test|invalid|localhost))$/i;

/**
 * Setting names that hold a secret, and suffixes that make them something else: a file holding it,
 * or an identifier (an access key's id, APNs' key id), which is no secret.
 */
const SECRET_SETTING = `[A-Za-z0-9_.-]*(?:password|passwd|secret|token|api[_-]?key|private[_-]?key|access[_-]?key|credentials?)[A-Za-z0-9_.-]*`;
const NOT_A_SECRET = /[_-](?:FILE|PATH|DIR|ID|file|path|dir|id)$|[a-z](?:File|Path|Dir|Id)$/;

/**
 * A literal that looks generated rather than written: long, no spaces or template syntax, letters
 * and digits, and at least 3.5 bits of entropy per character (hex keys reach about 3.8, base64 ones
 * 5; words and identifiers stay below). Unquoted, `a.b` is code reading a property, not a value.
 */
function looksRandom(value: string, quoted: boolean): boolean {
  if (value.length < 12 || value.length > 512) return false;
  if (!/^[A-Za-z0-9+/=_~!@#%^&*.-]+$/.test(value) || /^\.?\//.test(value)) return false;
  if (!/[A-Za-z]/.test(value) || !/\d/.test(value)) return false;
  if (!quoted && /\.[A-Za-z_]/.test(value)) return false;
  if (/example|changeme|xxxx/i.test(value)) return false;
  return entropy(value) >= 3.5;
}

/** How many characters of base64 key material a PEM block holds (escaped newlines aside). */
const keyMaterial = (body: string) => body.replace(/\\[nr]/g, '').replace(/[^A-Za-z0-9+/=]/g, '').length;

const RULES: Rule[] = [
  {
    // A PEM private key with material: 64 base64 characters at least (an Ed25519 key has 64), as
    // gitleaks requires, so a test's truncated "-----BEGIN … AAAA" stand-in is no key.
    name: 'private key',
    pattern: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----((?:[^-]|-(?!----)){0,8000})/g,
    isSecret: (match) => keyMaterial(match[1] ?? '') >= 64,
  },
  {
    // AWS access key ids, but AWS's documented AKIA…EXAMPLE.
    name: 'AWS access key id',
    pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
    isSecret: (match) => !match[0].endsWith('EXAMPLE'),
  },
  {
    name: 'AWS secret access key',
    pattern: /aws_?secret_?access_?key["']?\s*[:=]\s*["']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/gi,
    isSecret: (match) => !/EXAMPLE/.test(match[1] ?? ''),
  },
  { name: 'GitHub token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g },
  { name: 'Slack token', pattern: /\bxox[baprs]-[A-Za-z0-9-]{10,}/g },
  { name: 'Google API key', pattern: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g },
  // Any JWT, signed or not: one that is not a credential goes into ALLOWED with the reason.
  { name: 'JWT', pattern: /\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g },
  {
    // scheme://user:password@host, but placeholders and test servers on loopback.
    name: 'URL with a password',
    pattern: /\b[a-z][a-z0-9+.-]*:\/\/([^\s:@/'"`<>]*):([^\s@/'"`<>]+)@(\[[^\]\s]*\]|[^\s/:'"`<>?#]+)/gi,
    isSecret: (match) => !PLACEHOLDER_PASSWORD.test(match[2] ?? '') && !PLACEHOLDER_HOST.test(match[3] ?? ''),
  },
  {
    // password = "…", secret: …, API_TOKEN=…: a secret-named setting given a random-looking literal.
    name: 'secret literal',
    pattern: new RegExp(
      String.raw`\b(${SECRET_SETTING})["']?[ \t]*(?::=|:|=)[ \t]*(["'\x60]?)([^\s"'\x60,;)}\]]+)\2`,
      'gi',
    ),
    isSecret: (match) => !NOT_A_SECRET.test(match[1] ?? '') && looksRandom(match[3] ?? '', match[2] !== ''),
  },
];

/** The secrets a text holds, by rule, with their line numbers. */
function scanText(file: string, text: string): Finding[] {
  const findings: Finding[] = [];
  for (const rule of RULES) {
    for (const match of text.matchAll(rule.pattern)) {
      if (rule.isSecret && !rule.isSecret(match)) continue;
      const line = text.slice(0, match.index).split('\n').length;
      findings.push({ file, line, rule: rule.name, match: match[0].slice(0, 80) });
    }
  }
  return findings;
}

// --- the files ---------------------------------------------------------------------------------------

const git = (...args: string[]) =>
  execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    .split('\0')
    .filter(Boolean);

/** Tracked files, and untracked ones git does not ignore (what the next `git add -A` would add). */
const repositoryFiles = () => [
  ...new Set([...git('ls-files', '-z'), ...git('ls-files', '-z', '--others', '--exclude-standard')]),
];

/** A file's text, or undefined for what is not a regular text file (deleted, a symlink, binary). */
function textOf(file: string): string | undefined {
  try {
    if (!lstatSync(join(ROOT, file)).isFile()) return undefined;
  } catch {
    return undefined; // tracked but deleted in the working tree
  }
  const bytes = readFileSync(join(ROOT, file));
  if (bytes.subarray(0, 8000).includes(0)) return undefined;
  return bytes.toString('utf8');
}

// --- what may match ------------------------------------------------------------------------------

interface Allowed {
  file: string;
  rule: string;
  /** Part of the match (split so that this file does not match it itself). */
  match: string;
  reason: string;
}

const ALLOWED: Allowed[] = [
  {
    file: 'realtime-gateway/test/gateway.test.ts',
    rule: 'JWT',
    match: 'eyJhbGciOiJub25lIn0' + '.eyJzdWIiOiJ4In0.',
    reason: 'an unsigned (alg "none") forged token the gateway must refuse: it grants nothing',
  },
  {
    file: 'shared/src/config/env.test.ts',
    rule: 'URL with a password',
    match: 'mysql://admin:' + 'hunter2@db',
    reason: 'the test checks that a URL’s password never appears in configuration errors',
  },
  {
    file: 'shared/src/mail/mailer.test.ts',
    rule: 'secret literal',
    match: 'dGhpcy1pcy1hLXRlc3QtdG9r' + 'ZW4tMzItYnl0ZXMtbG9uZw',
    reason: 'a verification-link token fixture: base64url of the words "this-is-a-test-token-32-bytes-long"',
  },
  {
    file: 'shared/src/push/log-provider.test.ts',
    rule: 'secret literal',
    match: 'fcm-registration-token-' + 'that-is-a-credential-9f8e7d',
    reason: 'a made-up device token; the test checks that only its last six characters are logged',
  },
];

const isAllowed = (finding: Finding, allowed: Allowed) =>
  finding.file === allowed.file && finding.rule === allowed.rule && finding.match.includes(allowed.match);

/** Where and what, but not the secret itself: test output ends up in CI logs. */
const describeFinding = ({ file, line, rule, match }: Finding) =>
  `${file}:${line}: ${rule}: ${match.slice(0, 8)}… (${match.length} characters)`;

// --- the tests -------------------------------------------------------------------------------------

describe('secret scan', () => {
  it('finds no secret in the repository’s files, tracked or about to be, in well under two seconds', () => {
    const started = performance.now();
    const files = repositoryFiles();
    expect(files).toContain('scripts/secret-scan.test.ts');
    const findings = files.flatMap((file) => {
      const text = textOf(file);
      return text === undefined ? [] : scanText(file, text);
    });
    expect(performance.now() - started).toBeLessThan(2000);
    const unexpected = findings.filter((finding) => !ALLOWED.some((allowed) => isAllowed(finding, allowed)));
    expect(unexpected.map(describeFinding).join('\n')).toBe('');
    // Each exception still matches something: the list never outlives what it excuses.
    const stale = ALLOWED.filter((allowed) => !findings.some((finding) => isAllowed(finding, allowed)));
    expect(stale.map(({ file, rule }) => `${file}: ${rule}`)).toEqual([]);
  });

  // Samples derive from hashes of fixed words: random-looking, yet the same on every run.
  const digest = (seed: string, encoding: 'hex' | 'base64' | 'base64url' = 'hex') =>
    createHash('sha512').update(seed).digest(encoding);
  const upperAlnum = (seed: string, length: number) =>
    [...createHash('sha512').update(seed).digest()]
      .map((byte) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[byte % 32])
      .join('')
      .slice(0, length);
  const alnum = (seed: string, length: number) =>
    digest(seed, 'base64')
      .replace(/[^A-Za-z0-9]/g, '')
      .slice(0, length);
  const rulesMatching = (text: string) => scanText('sample', text).map((finding) => finding.rule);

  it('catches each kind of secret in samples built at run time', () => {
    const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: 'k1' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ sub: 'user-1', exp: 1 })).toString('base64url');
    const samples: [string, string][] = [
      ['private key', pem],
      [
        'private key',
        `{"private_key": ${JSON.stringify(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }))}}`,
      ],
      ['AWS access key id', `aws_access_key_id = ${'AK'}IA${upperAlnum('aws-id', 16)}`],
      ['AWS secret access key', `aws_secret_access_key = ${digest('aws-secret', 'base64').slice(0, 40)}`],
      ['GitHub token', `token: gh${'p'}_${alnum('github', 36)}`],
      ['GitHub token', `github${'_pat_'}${alnum('github-pat', 40)}`],
      ['Slack token', `SLACK=xo${'xb'}-${digest('slack').slice(0, 24)}`],
      ['Google API key', `key=AI${'za'}${alnum('google', 35)}`],
      ['JWT', `Authorization: Bearer ${header}.${payload}.${digest('sig', 'base64url').slice(0, 86)}`],
      [
        'URL with a password',
        `REDIS_URL=redis://default${':'}${digest('redis').slice(0, 32)}@redis.internal:6379/0`,
      ],
      ['URL with a password', `ftp://deploy${':'}password${digest('ftp').slice(0, 6)}@files.corp.net/`],
      ['secret literal', `password = "${digest('password', 'base64').slice(0, 24)}"`],
      ['secret literal', `MINIO_ROOT_PASSWORD${'='}${digest('minio').slice(0, 40)}`],
      ['secret literal', `  api_key: ${alnum('yaml', 32)}`],
    ];
    for (const [rule, sample] of samples) expect(rulesMatching(sample), sample).toContain(rule);
  });

  it('passes over placeholders, references to secrets and test servers on loopback', () => {
    const samples = [
      `'-----BEGIN ${'PRIVATE'} KEY-----\\nAAAA\\n-----END PRIVATE KEY-----'`,
      `aws_access_key_id = AK${'IAIOSFODNN7'}EXAMPLE`,
      `SMTP_URL='smtps://user:${'password'}@smtp.example.com:465'`,
      `postgres://postgres${':'}${digest('local').slice(0, 16)}@127.0.0.1:5432/test`,
      `redis://:${'$'}(cat /run/secrets/redis-password)@redis:6379`,
      'DATABASE_URL_FILE: /run/secrets/database-url',
      `BACKUP_S3_ACCESS_KEY_ID: 'sc-backup-${digest('key-id').slice(0, 8)}'`,
      `password: ${'"correct horse battery staple"'}`,
      'token: login.body.accessToken,',
      `secret: 's3-secret-access-key'`,
    ];
    for (const sample of samples) expect(rulesMatching(sample), sample).toEqual([]);
  });
});
