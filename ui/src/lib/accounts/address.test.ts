import { describe, expect, it } from 'vitest';
import { domainAllowed, emailDomain, hostValid, parsePort, serverHost } from './address';

describe('emailDomain', () => {
  it('gives the domain of an address, in lower case', () => {
    expect(emailDomain('ada@example.com')).toBe('example.com');
    expect(emailDomain('  Wei.Zhang@Mail.Example.CN ')).toBe('mail.example.cn');
    expect(emailDomain('王小明@例子.中国')).toBe('例子.中国');
    // An intranet's one-label domain is a domain too (the core takes it).
    expect(emailDomain('ada@intranet')).toBe('intranet');
  });

  it('refuses what is not shaped like an address', () => {
    for (const text of ['', 'ada', 'ada@', '@example.com', 'a b@example.com', 'ada@exa mple.com', 'ada@example.']) {
      expect(emailDomain(text), text).toBeNull();
    }
    expect(emailDomain('ada@@example.com')).toBeNull();
    expect(emailDomain('ada@-example.com')).toBeNull();
    expect(emailDomain('ada@example..com')).toBeNull();
    expect(emailDomain('ada\r\n@example.com')).toBeNull();
  });
});

describe('domainAllowed', () => {
  it('allows any domain when the policy lists none', () => {
    expect(domainAllowed('gmail.com', [])).toBe(true);
  });

  it('allows the listed domains and their subdomains, whatever their case', () => {
    expect(domainAllowed('example.com', ['Example.com', 'example.org'])).toBe(true);
    expect(domainAllowed('mail.example.com', ['example.com'])).toBe(true);
    expect(domainAllowed('mail.example.com', ['*.example.com.'])).toBe(true);
    expect(domainAllowed('gmail.com', ['example.com'])).toBe(false);
    expect(domainAllowed('evilexample.com', ['example.com'])).toBe(false);
    expect(domainAllowed('example.com.evil', ['example.com'])).toBe(false);
  });
});

describe('server fields', () => {
  it('checks host names and ports', () => {
    expect(hostValid('imap.example.com')).toBe(true);
    expect(hostValid('192.0.2.7')).toBe(true);
    expect(hostValid('[2001:db8::1]')).toBe(true);
    for (const host of ['', 'imap example.com', 'imap.example.com:993', 'https://imap.example.com', 'ada@imap']) {
      expect(hostValid(host), host).toBe(false);
    }
    expect(parsePort('993')).toBe(993);
    expect(parsePort(' 587 ')).toBe(587);
    for (const port of ['', '0', '65536', '99a', '-1', '1.5']) expect(parsePort(port), port).toBeNull();
  });

  it('reads the host of a server URL', () => {
    expect(serverHost('imaps://imap.example.com:993')).toBe('imap.example.com');
    expect(serverHost('imap+starttls://mail.example.org:143')).toBe('mail.example.org');
    expect(serverHost('imaps://[2001:db8::1]:993')).toBe('[2001:db8::1]');
    expect(serverHost('something else')).toBe('something else');
  });
});
