/** One transactional email. `template` names it for metrics and logs; it is never shown to the user. */
export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  html?: string;
  template: string;
}

/**
 * Where services send email. SMTP in production, the log in embedded mode (SPEC §4); services
 * depend only on this port.
 */
export interface Mailer {
  /** Resolves once the message is handed over; rejects with a 503 ProblemError when it cannot be. */
  send(message: OutgoingEmail): Promise<void>;
  /** Releases connections; call once on shutdown. */
  close(): Promise<void>;
}
