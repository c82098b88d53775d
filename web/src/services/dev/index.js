import { request } from '../http.js'
// Dev/test only (404 in production): the WeChat Pay stand-in pays the order and notifies.
export const completeStandInPayment = (outTradeNo) => request('POST', `/dev/payments/${outTradeNo}/complete`)
