const http = require('../utils/request')

module.exports = {
  // GET /inpatient/admissions?card_id= -> [{hospital_id, hospital_name, admission_no, ward, bed, admitted_at, discharged_at, balance_fen}]
  listAdmissions: (cardId) => http.get('/inpatient/admissions', { query: { card_id: cardId } }),
  // GET /inpatient/bills?hospital_id=&card_id=&admission_no= -> {admission, days, total_fen, prepaid_fen, balance_fen}
  getBill: ({ hospitalId, cardId, admissionNo }) =>
    http.get('/inpatient/bills', { query: { hospital_id: hospitalId, card_id: cardId, admission_no: admissionNo } }),
  // POST /inpatient/deposits {hospital_id, card_id, admission_no, amount_fen} -> 201 {deposit_id, out_trade_no, pay_params}
  topUpDeposit: ({ hospitalId, cardId, admissionNo, amountFen }) =>
    http.post('/inpatient/deposits', { hospital_id: hospitalId, card_id: cardId, admission_no: admissionNo, amount_fen: amountFen }),
}
