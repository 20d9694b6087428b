import { describe, expect, it } from 'vitest';
import { passwordResetEmail, passwordResetLink, verificationEmail, verificationLink } from './templates';

describe('email templates', () => {
  it('links to the web pages under PUBLIC_BASE_URL, keeping any base path', () => {
    expect(verificationLink('https://chat.example.com', 'abc-_1')).toBe(
      'https://chat.example.com/verify-email?token=abc-_1',
    );
    expect(passwordResetLink('https://example.com/chat/', 'abc')).toBe(
      'https://example.com/chat/reset-password?token=abc',
    );
  });

  it('puts the link and, on its own line, the raw token in the text', () => {
    const link = verificationLink('http://localhost:8080', 'tok3n');
    const { subject, text, html } = verificationEmail({ displayName: 'Ada', link, token: 'tok3n' });
    expect(subject).toBe('Confirm your email address');
    expect(text.split('\n')).toEqual(expect.arrayContaining([link, 'tok3n']));
    expect(html).toContain(`href="${link}"`);

    const reset = passwordResetEmail({
      displayName: 'Ada',
      link: 'http://x/reset-password?token=t',
      token: 't',
    });
    expect(reset.subject).toBe('Reset your password');
    expect(reset.text.split('\n')).toEqual(expect.arrayContaining(['http://x/reset-password?token=t', 't']));
  });

  it('escapes the display name in HTML', () => {
    const { html, text } = verificationEmail({
      displayName: '<img src=x onerror="alert(1)"> & \'co\'',
      link: 'http://localhost/verify-email?token=t',
      token: 't',
    });
    expect(html).toContain('Hi &lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &#39;co&#39;,');
    expect(html).not.toContain('<img');
    expect(text).toContain('Hi <img src=x onerror="alert(1)"> & \'co\',');
  });
});
