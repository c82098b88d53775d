// Two projects: pages and units in jsdom with miniprogram-simulate; the contract tests in Node
// against a real backend that their global setup starts (only when a contract test runs).
module.exports = {
  projects: [
    {
      displayName: 'miniapp',
      testEnvironment: 'jsdom',
      testMatch: ['<rootDir>/test/unit/**/*.test.js', '<rootDir>/test/pages/**/*.test.js'],
      globalSetup: '<rootDir>/test/support/build-shared.js',
    },
    {
      displayName: 'contract',
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/contract/**/*.test.js'],
      globalSetup: '<rootDir>/test/contract/start-backend.js',
      globalTeardown: '<rootDir>/test/contract/stop-backend.js',
      testTimeout: 60000,
    },
  ],
}
