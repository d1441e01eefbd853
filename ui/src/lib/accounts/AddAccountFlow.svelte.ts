import type { IBackend } from '../backend/IBackend';
import { toApiError } from '../backend/errors';
import type {
  AccountSummary,
  ApiError,
  DiscoveredSettings,
  Discovery,
  ServerSettings,
} from '../backend/types';
import type { MessageKey } from '../i18n/locale';
import { domainAllowed, emailDomain, hostValid, parsePort } from './address';

export type Security = ServerSettings['security'];

/** Name and address; looking up the servers; the servers, login and password. */
export type AddAccountStep = 'identity' | 'discovering' | 'settings';

/** One server's fields as the user edits them: the port stays text until the form is sent. */
export interface ServerFields {
  host: string;
  port: string;
  security: Security;
}

/** The fields of the settings step, for the message under the one that is wrong. */
export type SettingsField = 'imapHost' | 'imapPort' | 'smtpHost' | 'smtpPort' | 'login' | 'password';

/** The usual ports, by protocol and security: what the port field holds until changed. */
export const DEFAULT_PORTS: Record<'imap' | 'smtp', Record<Security, number>> = {
  imap: { tls: 993, starttls: 143 },
  smtp: { tls: 465, starttls: 587 },
};

/**
 * Adding an account: the name and address (checked here, before any network call), the
 * servers found for the address or typed in, then the password, which goes only to
 * those servers when the user sends the form. Nothing the user typed is lost on a
 * failure, except the password when the server refused it.
 */
export class AddAccountFlow {
  #backend: IBackend;
  /** The domains the policy allows an added address at; none listed: any. */
  readonly allowedDomains: readonly string[];
  #onadded: (account: AccountSummary) => void;
  /** Bumped to drop a discovery's answer (cancelled, or the user went on without it). */
  #discoveryGeneration = 0;
  /** The address the server fields were filled for; another address starts them afresh. */
  #filledFor: string | null = null;

  step = $state<AddAccountStep>('identity');
  name = $state('');
  email = $state('');
  /** Why the name or address cannot be used; shown before anything is looked up. */
  identityProblem = $state<MessageKey | null>(null);

  /** What discovery found; `null` when the user chose to type the settings. */
  discovery = $state.raw<Discovery | null>(null);
  /** Discovery itself failed (which is not the same as finding nothing). */
  discoveryError = $state.raw<ApiError | null>(null);
  /** Which of the found settings fill the fields. */
  chosen = $state(0);

  imap = $state<ServerFields>(blankServer('imap'));
  smtp = $state<ServerFields>(blankServer('smtp'));
  login = $state('');
  password = $state('');
  /** What is wrong with each field, found when the form is sent. */
  problems = $state.raw<Partial<Record<SettingsField, MessageKey>>>({});

  /** The servers are being asked to accept the login. */
  adding = $state(false);
  /** Why the last attempt failed; the dialog shows it until the next one. */
  error = $state.raw<ApiError | null>(null);

  readonly domain: string | null = $derived(emailDomain(this.email));
  readonly found: readonly DiscoveredSettings[] = $derived(this.discovery?.found ?? []);
  /** The found settings the fields came from, if any. */
  readonly source: DiscoveredSettings | null = $derived(this.found[this.chosen] ?? null);

  constructor(backend: IBackend, allowedDomains: readonly string[], onadded: (account: AccountSummary) => void) {
    this.#backend = backend;
    this.allowedDomains = allowedDomains;
    this.#onadded = onadded;
  }

  /** Looks up the servers of the address; no credentials go anywhere. */
  async findSettings(): Promise<void> {
    if (!this.#identityUsable()) return;
    const generation = ++this.#discoveryGeneration;
    this.step = 'discovering';
    let discovery: Discovery | null = null;
    let failure: ApiError | null = null;
    try {
      discovery = await this.#backend.discoverAccount(this.email.trim());
    } catch (reason) {
      failure = toApiError(reason);
    }
    if (generation !== this.#discoveryGeneration) return;
    this.discovery = discovery;
    this.discoveryError = failure;
    if (discovery && discovery.found.length > 0) this.choose(0);
    else this.#startManual();
    this.step = 'settings';
  }

  /** Stops waiting for discovery: its answer, when it comes, is dropped. */
  cancelDiscovery(): void {
    this.#discoveryGeneration += 1;
    this.step = 'identity';
  }

  /** Goes on to the settings without looking them up (or without waiting any longer). */
  enterManually(): void {
    if (!this.#identityUsable()) return;
    this.#discoveryGeneration += 1;
    this.discovery = null;
    this.discoveryError = null;
    this.#startManual();
    this.step = 'settings';
  }

  /** Fills the fields from found settings `index` (what the user edited there is replaced). */
  choose(index: number): void {
    const found = this.discovery?.found[index];
    if (!found) return;
    this.chosen = index;
    this.imap = fieldsOf(found.imap);
    this.smtp = fieldsOf(found.smtp);
    this.login = found.login || this.email.trim();
    this.problems = {};
    this.#filledFor = this.email.trim();
  }

  /** Back to the name and address; everything typed stays. */
  back(): void {
    this.step = 'identity';
    this.error = null;
  }

  /** Changes a server's security; a port left at the usual one follows it. */
  setSecurity(server: 'imap' | 'smtp', security: Security): void {
    const fields = this[server];
    const usual = String(DEFAULT_PORTS[server][fields.security]);
    const port = fields.port.trim() === '' || fields.port.trim() === usual ? String(DEFAULT_PORTS[server][security]) : fields.port;
    this[server] = { ...fields, security, port };
  }

  /**
   * Sends the account to the core, which logs in to both servers with the password and
   * saves the account only when both accept. Resolves once it is added or has failed.
   */
  async add(): Promise<void> {
    if (this.adding || this.step !== 'settings') return;
    this.problems = settingsProblems(this.imap, this.smtp, this.login, this.password);
    const imapPort = parsePort(this.imap.port);
    const smtpPort = parsePort(this.smtp.port);
    if (Object.keys(this.problems).length > 0 || imapPort === null || smtpPort === null) return;
    this.adding = true;
    this.error = null;
    try {
      const account = await this.#backend.addAccount({
        display_name: this.name.trim(),
        email: this.email.trim(),
        login: this.login.trim(),
        password: this.password,
        imap: { host: this.imap.host.trim(), port: imapPort, security: this.imap.security },
        smtp: { host: this.smtp.host.trim(), port: smtpPort, security: this.smtp.security },
      });
      this.#onadded(account);
    } catch (reason) {
      this.error = toApiError(reason);
      // The server refused the password: it is typed again; everything else stays.
      if (this.error.code === 'authentication_failed') this.password = '';
    } finally {
      this.adding = false;
    }
  }

  #identityUsable(): boolean {
    const domain = this.domain;
    if (!this.name.trim()) this.identityProblem = 'account.add.nameMissing';
    else if (domain === null) this.identityProblem = 'account.add.emailInvalid';
    else if (!domainAllowed(domain, this.allowedDomains)) this.identityProblem = 'account.add.domainNotAllowed';
    else this.identityProblem = null;
    return this.identityProblem === null;
  }

  /** Empty server fields for a new address; those filled for this address stay. */
  #startManual(): void {
    const email = this.email.trim();
    if (this.#filledFor === email) return;
    this.imap = blankServer('imap');
    this.smtp = blankServer('smtp');
    this.login = email;
    this.problems = {};
    this.#filledFor = email;
  }
}

function blankServer(protocol: 'imap' | 'smtp'): ServerFields {
  return { host: '', port: String(DEFAULT_PORTS[protocol].tls), security: 'tls' };
}

function fieldsOf(server: ServerSettings): ServerFields {
  return { host: server.host, port: String(server.port), security: server.security };
}

function settingsProblems(
  imap: ServerFields,
  smtp: ServerFields,
  login: string,
  password: string,
): Partial<Record<SettingsField, MessageKey>> {
  const problems: Partial<Record<SettingsField, MessageKey>> = {};
  const host = (value: string): MessageKey | null =>
    value.trim() === '' ? 'account.add.hostMissing' : hostValid(value) ? null : 'account.add.hostInvalid';
  const port = (value: string): MessageKey | null => (parsePort(value) === null ? 'account.add.portInvalid' : null);
  const checks: [SettingsField, MessageKey | null][] = [
    ['imapHost', host(imap.host)],
    ['imapPort', port(imap.port)],
    ['smtpHost', host(smtp.host)],
    ['smtpPort', port(smtp.port)],
    ['login', login.trim() === '' ? 'account.add.loginMissing' : null],
    ['password', password === '' ? 'account.add.passwordMissing' : null],
  ];
  for (const [field, problem] of checks) if (problem) problems[field] = problem;
  return problems;
}
