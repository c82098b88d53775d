// Dev-only helpers of the local server (404 in production): the app uses them only when
// config says devPayments, i.e. in WeChat DevTools against `scripts/run`.
const http = require('../utils/request')

module.exports = {
  // POST /dev/payments/{out_trade_no}/complete -> {out_trade_no, outcome}: the WeChat Pay stand-in pays
  completeStandInPayment: (outTradeNo) => http.post(`/dev/payments/${outTradeNo}/complete`, {}, { auth: false }),
}
