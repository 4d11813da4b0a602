// Imported first by tests that drive Ink on a fake terminal: with CI=true (as
// CI sets it) Ink renders nothing until exit, which is not what a person at a
// terminal sees. Must run before Ink is loaded (ESM evaluates imports in order).
delete process.env['CI'];
delete process.env['CONTINUOUS_INTEGRATION'];
