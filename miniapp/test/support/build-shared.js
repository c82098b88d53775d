// Jest global setup of the page and unit tests: the mini-program requires the shared texts and
// money helpers from miniprogram_npm/, which scripts/build-npm.js writes (as DevTools' 构建 npm).
const { build } = require('../../scripts/build-npm')

module.exports = () => {
  build()
}
