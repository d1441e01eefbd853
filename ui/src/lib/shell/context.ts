import { createContext } from 'svelte';
import type { Localizer } from '../i18n/Localizer.svelte';

/** The active locale and message lookup, provided by App to every component below it. */
export const [useI18n, provideI18n] = createContext<Localizer>();
