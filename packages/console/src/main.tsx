import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { initialLang } from './i18n.ts';
import { App } from './App.tsx';
import './style.css';

document.documentElement.lang = initialLang();
const root = document.getElementById('root');
if (root)
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
