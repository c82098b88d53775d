const http = require('../utils/request')

module.exports = {
  // GET /outpatient/charges?card_id=&status=unpaid|paid -> [{charge_id, hospital_id, hospital_name, charge_no, visit,
  // department, doctor, ordered_at, items, total_fen, pay_group, insurance, status, version, payable,
  // not_payable_reason, paid_at, guide, receipt_no, refunds}]
  listCharges: (cardId, status) =>
    http.get('/outpatient/charges', { query: status ? { card_id: cardId, status } : { card_id: cardId } }),
  // POST /outpatient/payments {hospital_id, card_id, charge_ids, versions} -> 201 {payment_id, out_trade_no, amount_fen, pay_params}
  payCharges: (body) => http.post('/outpatient/payments', body),
}
