import { render } from 'preact';
import { App } from './App.js';
import { ErrorMessage } from './components/Status.js';
import { initNotes } from './data/notes.js';
import { initDataSource } from './data/source.js';
import './styles.css';

const root = document.getElementById('app')!;
initDataSource()
  .then(initNotes)
  .then(
    () => render(<App />, root),
    (error: unknown) =>
      render(<ErrorMessage error={error instanceof Error ? error : new Error(String(error))} />, root),
  );
