/** The rendered parts of an email, ready to merge into an OutgoingEmail. */
export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export interface EmailTokenContent {
  displayName: string;
  /** From `verificationLink` / `passwordResetLink`. */
  link: string;
  /** The raw token, shown on its own line for clients without a web page, which paste it instead. */
  token: string;
}

/** The page that confirms an email address: `${PUBLIC_BASE_URL}/verify-email?token=…`. */
export function verificationLink(publicBaseUrl: string, token: string): string {
  return pageLink(publicBaseUrl, 'verify-email', token);
}

/** The page that sets a new password: `${PUBLIC_BASE_URL}/reset-password?token=…`. */
export function passwordResetLink(publicBaseUrl: string, token: string): string {
  return pageLink(publicBaseUrl, 'reset-password', token);
}

function pageLink(publicBaseUrl: string, page: string, token: string): string {
  // Concatenated rather than resolved with `new URL(page, base)`, which would drop a base path
  // such as https://example.com/chat.
  return `${publicBaseUrl.replace(/\/+$/, '')}/${page}?token=${encodeURIComponent(token)}`;
}

/** The email sent on registration and on "resend verification". */
export function verificationEmail({ displayName, link, token }: EmailTokenContent): RenderedEmail {
  return render({
    subject: 'Confirm your email address',
    displayName,
    intro: 'Please confirm your email address for SecureConnect.',
    action: 'Confirm email address',
    link,
    token,
    outro: 'If you did not create a SecureConnect account, you can ignore this email.',
  });
}

/** The email sent on a password-reset request for an existing account. */
export function passwordResetEmail({ displayName, link, token }: EmailTokenContent): RenderedEmail {
  return render({
    subject: 'Reset your password',
    displayName,
    intro: 'Someone, hopefully you, asked to reset your SecureConnect password.',
    action: 'Choose a new password',
    link,
    token,
    outro: 'If you did not ask for this, ignore this email: your password stays as it is.',
  });
}

interface Layout {
  subject: string;
  displayName: string;
  intro: string;
  action: string;
  link: string;
  token: string;
  outro: string;
}

function render({ subject, displayName, intro, action, link, token, outro }: Layout): RenderedEmail {
  const text = [
    `Hi ${displayName},`,
    '',
    intro,
    '',
    `${action}:`,
    link,
    '',
    'Or paste this code into the app:',
    token,
    '',
    outro,
    '',
  ].join('\n');
  const html = `<!doctype html>
<html><body style="font-family: sans-serif; line-height: 1.5">
<p>Hi ${escapeHtml(displayName)},</p>
<p>${escapeHtml(intro)}</p>
<p><a href="${escapeHtml(link)}">${escapeHtml(action)}</a></p>
<p>Or paste this code into the app:<br><code>${escapeHtml(token)}</code></p>
<p>${escapeHtml(outro)}</p>
</body></html>
`;
  return { subject, text, html };
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character] as string);
}
