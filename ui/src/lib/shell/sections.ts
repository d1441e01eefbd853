export type Section = 'mail' | 'calendar' | 'directory' | 'settings';

export const SECTIONS: readonly Section[] = ['mail', 'calendar', 'directory', 'settings'];
