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
  'privacy.accepted': 'You accepted version {version} of the privacy notice on {date}.',
  'privacy.notAccepted': 'You have not accepted the privacy notice yet.',
  'privacy.stored.title': 'What Heron keeps on this computer',
  'privacy.stored.accounts': 'Your account details (passwords are kept in the system keyring)',
  'privacy.stored.mail': 'Your mail, in an encrypted store, and your settings',
  'privacy.stored.logs': "Heron's app logs",
  'privacy.stored.crashes': 'Crash data, if Heron ever stops unexpectedly',
  'privacy.stored.none': 'None of it is sent anywhere by Heron.',

  'notice.title': 'Privacy notice',
  'notice.intro': 'Please read this notice. Heron connects to no server until you accept it.',
  'notice.changed': 'This notice has changed since you accepted version {version}. Please read it again.',
  'notice.version': 'Version',
  'notice.updated': 'Last updated',
  'notice.effective': 'Effective from',
  'notice.contact': 'Contact',
  'notice.accept': 'Accept',
  'notice.decline': 'Decline',
  'notice.declined.title': 'Heron cannot be used without accepting',
  'notice.declined.body':
    'Heron needs your agreement to this notice before it connects to your mail. Nothing has been synced and no mail was downloaded.',
  'notice.declined.contact': 'If you have questions about the notice, contact {contact}.',
  'notice.declined.noContact':
    "If you have questions about the notice, contact your organisation's IT support.",
  'notice.declined.quit': 'Quit Heron',
  'notice.declined.back': 'Back',
  'notice.error.changed': 'The notice changed while you were reading it. Please read the new version.',
  'notice.error.failed': 'Your acceptance could not be saved. Try again, or contact your administrator.',

  'store.warning.title': "Heron's key is in a file on this computer",
  'store.warning.body': 'Anyone who can read your files can read your cached mail.',
  'store.warning.action': 'Ask IT to set up a keyring (Secret Service).',
  'store.warning.keyDir': 'Key folder:',
  'store.warning.dismissLabel': 'Dismiss this warning until Heron restarts',
  'store.dismiss': 'Dismiss',
  'store.rebuilt':
    "Heron's local copy of your mail was rebuilt. Your mail downloads again from the server at the next sync.",
  'store.rebuilt.dismissLabel': 'Dismiss this message',
  'store.unreadable.title': "Heron can't open its local copy of your mail",
  'store.unreadable.reason.key_missing':
    "Its key is missing from the system keyring, so the encrypted copy on this computer can't be read. Heron never makes a new key for an existing copy.",
  'store.unreadable.reason.wrong_key_or_damaged':
    "The key in the system keyring doesn't open it, or the file is damaged.",
  'store.unreadable.offer':
    'You can rebuild it: Heron deletes the local copy and downloads your mail again from the server. Your mail on the server is not changed.',
  'store.unreadable.loss.title': 'What would be deleted from this computer',
  'store.unreadable.loss.database': 'Mail database',
  'store.unreadable.loss.files': 'Downloaded messages and attachments',
  'store.unreadable.loss.filesValue.one': '{size} in {count} file',
  'store.unreadable.loss.filesValue.other': '{size} in {count} files',
  'store.unreadable.loss.none': 'None',
  'store.unreadable.unsentAtRisk':
    "Unsent messages and drafts that were not saved to the server may be lost. Heron can't count them without the key.",
  'store.unreadable.rebuild': 'Rebuild from the server',
  'store.unreadable.rebuilding': 'Rebuilding…',
  'store.details': 'Technical details',
  'store.quit': 'Quit Heron',
  'store.actionError.already_running':
    'Another Heron (a window or heronctl) is using this data. Close it, then try again.',
  'store.actionError.disk_full': 'The disk is full. Free some space, then try again.',
  'store.actionError.failed':
    "The local copy couldn't be rebuilt. Try again; if it keeps failing, contact IT.",
  'store.keyring.title': "Heron can't reach the system keyring",
  'store.keyring.body':
    "Heron keeps the key to your local copy of mail in the system keyring, and the keyring can't be reached. Nothing was changed.",
  'store.keyring.fix':
    'Log in to a desktop session, or start a keyring (Secret Service, such as gnome-keyring), then open Heron again. If this keeps happening, contact IT.',

  'error.invalid_config.title': "Heron's configuration could not be read",
  'error.invalid_config.hint': 'Ask your administrator to check the managed configuration.',
  'error.not_found.title': 'Something Heron needs was not found',
  'error.not_found.hint': 'Try again. If it keeps happening, contact your administrator.',
  'error.disk_full.title': 'The disk is full',
  'error.disk_full.hint': 'Free some space on this computer, then try again.',
  'error.unknown.title': 'Something went wrong',
  'error.unknown.hint': 'Try again. If it keeps happening, contact your administrator.',
  'error.details': 'Details',
  'error.retry': 'Try again',
} as const;

export type MessageKey = keyof typeof en;
