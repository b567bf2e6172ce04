// Jest's order, with the fuzz first. Without timings from an earlier run (a clean CI clone) Jest runs
// the biggest files first, and the fuzz, a small file that runs for minutes, came last, alone on one
// worker while the other idled (about 6 minutes of a CI run).
const Sequencer = require('@jest/test-sequencer').default;

const FIRST = /[\\/]test[\\/]fuzz\.e2e-spec\.ts$/;

class FuzzFirstSequencer extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    return [...sorted.filter((t) => FIRST.test(t.path)), ...sorted.filter((t) => !FIRST.test(t.path))];
  }
}

module.exports = FuzzFirstSequencer;
