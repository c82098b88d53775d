// Money helpers shared with the web app (clients/shared/money.js, copied here by
// scripts/build-npm.js): integer fen in, exact yuan text out, and a strict yuan parser.
const { fenToYuan, yuanToFen, yuanLabel } = require('../miniprogram_npm/ehealth-shared/money.js')

module.exports = { fenToYuan, yuanToFen, yuanLabel }
