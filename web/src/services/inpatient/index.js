import { request, qs } from '../http.js'
import { session } from '../session.js'
export const listAdmissions = (cardId) =>
  request('GET', `/inpatient/admissions${qs({ card_id: cardId })}`, { token: session.token })
export const getBill = (hospitalId, cardId, admissionNo) =>
  request('GET', `/inpatient/bills${qs({ hospital_id: hospitalId, card_id: cardId, admission_no: admissionNo })}`, {
    token: session.token,
  })
// the light form: the bill's days without items, then one day's items a page at a time
export const getBillSummary = (hospitalId, cardId, admissionNo) =>
  request(
    'GET',
    `/inpatient/bills/summary${qs({ hospital_id: hospitalId, card_id: cardId, admission_no: admissionNo })}`,
    { token: session.token },
  )
export const getBillDay = (hospitalId, cardId, admissionNo, date, { offset = 0, limit = 100 } = {}) =>
  request(
    'GET',
    `/inpatient/bills/days/${date}${qs({ hospital_id: hospitalId, card_id: cardId, admission_no: admissionNo, offset, limit })}`,
    { token: session.token },
  )
export const topUpDeposit = (form) => request('POST', '/inpatient/deposits', { body: form, token: session.token })
