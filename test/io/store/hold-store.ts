/**
 * Child process of file-problems.test.ts: opens the store given as its argument (writable, or read-only
 * with a second argument 'read-only'), says "holding" and keeps it open until stdin closes. Does nothing
 * without an argument (the test runner loads every file under test/).
 */
import { NapStore } from '../../../src/io/store/index.js';

const file = process.argv[2];
if (file !== undefined) {
  const store = await NapStore.open(file, { readOnly: process.argv[3] === 'read-only' });
  process.stdout.write('holding\n');
  process.stdin.resume();
  process.stdin.on('end', () => void store.close());
}
