const http = require('../utils/request')

module.exports = {
  // POST /holds/{hold_id}/payment -> {out_trade_no, pay_params, amount_fen, expires_at, status}
  payHold: (holdId) => http.post(`/holds/${holdId}/payment`, {}),
  // GET /payments/{out_trade_no} -> {out_trade_no, status, amount_fen, booking_id, paid_at, ...}
  getPayment: (outTradeNo) => http.get(`/payments/${outTradeNo}`),
}
