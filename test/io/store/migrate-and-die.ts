/**
 * Child process of migrations.test.ts: opens the store given as its argument and kills itself with SIGKILL
 * right after the first migration step, inside the migration's transaction. Does nothing without an argument
 * (the test runner loads every file under test/).
 */
import { NapStore } from '../../../src/io/store/index.js';

const file = process.argv[2];
if (file !== undefined) {
  await NapStore.open(file, {
    migration: {
      afterStep: (step) => {
        process.stderr.write(`killing myself after step ${step.version}\n`);
        process.kill(process.pid, 'SIGKILL');
      },
    },
  });
}
