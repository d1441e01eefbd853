// English messages. The key set is the contract: zh-CN.ts must have exactly the same
// keys (the type checker and i18n.test.ts both enforce it). `{name}` is a placeholder.
export const en = {
  'app.name': 'Heron',
  'app.loading': 'Loading…',

  'rail.label': 'Sections',
  'section.mail': 'Mail',
  'section.calendar': 'Calendar',
  'section.directory': 'Directory',
  'section.settings': 'Settings',

  'avatar.label': 'Your profile: {name}',
  'avatar.labelNoAccount': 'Profile: no account set up',

  'profile.title': 'Your profile',
  'profile.close': 'Close',
  'profile.email': 'Email',
  'profile.phone': 'Phone',
  'profile.department': 'Department',
  'profile.jobTitle': 'Title',
  'profile.accountId': 'Account ID',
  'profile.notProvided': 'Not provided',
  'profile.managedNote':
    'Your profile is managed by your organisation. To correct it, contact your administrator.',
  'profile.noAccount.title': 'No account is set up yet',
  'profile.noAccount.body':
    'Your administrator provisions accounts for Heron. Once yours is set up, your profile appears here.',

  'mail.folders': 'Folders',
  'mail.inbox': 'Inbox',
  'mail.messages': 'Messages',
  'mail.search': 'Search mail',
  'mail.searchUnavailable': 'Search becomes available after the first sync.',
  'mail.empty.title': 'No messages yet',
  'mail.empty.body':
    "Your mail appears here after the first sync with your organisation's mail server. New messages arrive on their own.",
  'mail.noAccount.title': 'No mail account yet',
  'mail.noAccount.body':
    'Your administrator provisions accounts. When yours is ready, Heron connects to it by itself, so there is nothing for you to set up.',
  'mail.viewAccounts': 'View accounts',
  'mail.readingPane': 'Select a message to read it here.',

  'calendar.month': 'Month',
  'calendar.today': 'Today is {date}',
  'calendar.agenda': 'Agenda',
  'calendar.empty.title': 'Nothing scheduled',
  'calendar.empty.body':
    "Meetings and invitations appear here once your organisation's calendar is connected.",

  'directory.searchLabel': 'Search the directory',
  'directory.searchPlaceholder': 'Search people and teams',
  'directory.hint': 'The directory connects when your administrator configures LDAP.',
  'directory.empty.title': 'The directory is not connected yet',
  'directory.empty.body':
    'Once it is, you can look up colleagues, browse the organisation and see who works where.',

  'settings.general': 'General',
  'settings.language': 'Language',
  'settings.language.system': 'Use system language',
  'settings.language.en': 'English',
  'settings.language.zh-CN': '简体中文',
  'settings.theme': 'Theme',
  'settings.theme.system': 'Use system setting',
  'settings.theme.light': 'Light',
  'settings.theme.dark': 'Dark',
  'settings.appliesImmediately': 'Changes apply immediately and are remembered on this computer.',
  'settings.accounts': 'Accounts',
  'settings.accounts.managed': 'Accounts are provisioned and removed by your administrator.',
  'settings.accounts.none': 'No accounts are set up yet.',
  'settings.accounts.incoming': 'Incoming',
  'settings.accounts.outgoing': 'Outgoing',
  'settings.about': 'About Heron',
  'settings.about.version': 'Version',
  'settings.about.configSources': 'Configuration sources',
  'settings.about.noConfigSources': 'Built-in defaults only',
  'settings.about.unavailable': 'Not available',

  'privacy.title': 'Privacy',
  'privacy.body':
    'Heron connects only to the servers your organisation has configured. It sends no telemetry, and diagnostics stay on this computer.',

  'error.invalid_config.title': "Heron's configuration could not be read",
  'error.invalid_config.hint': 'Ask your administrator to check the managed configuration.',
  'error.not_found.title': 'Something Heron needs was not found',
  'error.not_found.hint': 'Try again. If it keeps happening, contact your administrator.',
  'error.unknown.title': 'Something went wrong',
  'error.unknown.hint': 'Try again. If it keeps happening, contact your administrator.',
  'error.details': 'Details',
  'error.retry': 'Try again',
} as const;

export type MessageKey = keyof typeof en;
