// ESLint for the two clients and the texts they share: the recommended rules, Vue's recommended
// rules for the web app, and the globals each runtime really has (the browser; WeChat's wx, App,
// Page, Component, getApp, getCurrentPages; Jest and Node in tests and build scripts).
import js from '@eslint/js'
import vue from 'eslint-plugin-vue'
import globals from 'globals'

const wechat = {
  wx: 'readonly',
  App: 'readonly',
  Page: 'readonly',
  Component: 'readonly',
  Behavior: 'readonly',
  getApp: 'readonly',
  getCurrentPages: 'readonly',
  requirePlugin: 'readonly',
}

export default [
  { ignores: ['**/node_modules/**', '**/dist/**', '**/miniprogram_npm/**'] },
  js.configs.recommended,
  ...vue.configs['flat/recommended'],
  {
    rules: {
      'no-unused-vars': ['error', { args: 'after-used', argsIgnorePattern: '^_', caughtErrors: 'none' }],
      // formatting is Prettier's job
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/multiline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/html-indent': 'off',
      'vue/html-closing-bracket-newline': 'off',
      'vue/first-attribute-linebreak': 'off',
    },
  },
  { files: ['web/**/*.{js,vue}', 'clients/**/*.js'], languageOptions: { globals: { ...globals.browser } } },
  // route views are named by the router, never used as tags, so one word cannot clash with HTML
  { files: ['web/src/views/**/*.vue'], rules: { 'vue/multi-word-component-names': 'off' } },
  { files: ['web/vite.config.js'], languageOptions: { globals: { ...globals.node } } },
  {
    files: ['miniapp/**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node, ...wechat } },
  },
  { files: ['miniapp/test/**/*.js'], languageOptions: { globals: { ...globals.jest, ...globals.browser } } },
]
