const http = require('../utils/request')

module.exports = {
  // GET /inpatient/admissions?card_id= -> [{hospital_id, hospital_name, admission_no, ward, bed, admitted_at, discharged_at, balance_fen}]
  listAdmissions: (cardId) => http.get('/inpatient/admissions', { query: { card_id: cardId } }),
  // GET /inpatient/bills?hospital_id=&card_id=&admission_no= -> {admission, days, total_fen, prepaid_fen, balance_fen}
  getBill: ({ hospitalId, cardId, admissionNo }) =>
    http.get('/inpatient/bills', { query: { hospital_id: hospitalId, card_id: cardId, admission_no: admissionNo } }),
  // GET /inpatient/bills/summary?hospital_id=&card_id=&admission_no= -> the bill without items:
  // {admission, days: [{date, item_count, subtotal_fen, categories}], total_fen, prepaid_fen, balance_fen}
  getBillSummary: ({ hospitalId, cardId, admissionNo }) =>
    http.get('/inpatient/bills/summary', {
      query: { hospital_id: hospitalId, card_id: cardId, admission_no: admissionNo },
    }),
  // GET /inpatient/bills/days/{date}?hospital_id=&card_id=&admission_no=&offset=&limit= -> one day's items, a page:
  // {date, item_count, subtotal_fen, categories, items, offset, limit, next_offset}
  getBillDay: ({ hospitalId, cardId, admissionNo, date, offset = 0, limit = 100 }) =>
    http.get(`/inpatient/bills/days/${date}`, {
      query: { hospital_id: hospitalId, card_id: cardId, admission_no: admissionNo, offset, limit },
    }),
  // POST /inpatient/deposits {hospital_id, card_id, admission_no, amount_fen} -> 201 {deposit_id, out_trade_no, pay_params}
  topUpDeposit: ({ hospitalId, cardId, admissionNo, amountFen }) =>
    http.post('/inpatient/deposits', {
      hospital_id: hospitalId,
      card_id: cardId,
      admission_no: admissionNo,
      amount_fen: amountFen,
    }),
}
