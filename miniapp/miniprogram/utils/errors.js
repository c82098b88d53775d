// The sentence a resident reads for an error: the table and its rules are shared with the web
// app (clients/shared/texts.js, copied here by scripts/build-npm.js).
const {
  ERROR_SENTENCES,
  CLIENT_ERROR_SENTENCES,
  LIMIT_RULES,
  describeError,
} = require('../miniprogram_npm/ehealth-shared/texts.js')

const SENTENCES = { ...ERROR_SENTENCES, ...CLIENT_ERROR_SENTENCES }

// The sentence for an error body {code, message, ...details} and its HTTP status
const sentenceFor = describeError

module.exports = { SENTENCES, LIMIT_RULES, sentenceFor }
