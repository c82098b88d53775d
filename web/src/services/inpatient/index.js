import { request, qs } from '../http.js'
import { session } from '../session.js'
export const listAdmissions = (cardId) => request('GET', `/inpatient/admissions${qs({ card_id: cardId })}`, { token: session.token })
export const getBill = (hospitalId, cardId, admissionNo) =>
  request('GET', `/inpatient/bills${qs({ hospital_id: hospitalId, card_id: cardId, admission_no: admissionNo })}`, { token: session.token })
export const topUpDeposit = (form) => request('POST', '/inpatient/deposits', { body: form, token: session.token })
