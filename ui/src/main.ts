import { mount } from 'svelte';
import App from './App.svelte';
import { TauriBackend } from './lib/backend/TauriBackend';
import './app.css';

const target = document.getElementById('app');
if (!target) throw new Error('Heron: #app element missing from index.html');
export default mount(App, { target, props: { backend: new TauriBackend() } });
