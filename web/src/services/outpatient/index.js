import { request, qs } from '../http.js'
import { session } from '../session.js'
// unpaid or paid outpatient charges of a card (own or a linked member's)
export const listCharges = (cardId, status) =>
  request('GET', `/outpatient/charges${qs({ card_id: cardId, status })}`, { token: session.token })
// one WeChat Pay order for a selection: {hospital_id, card_id, charge_ids, versions}
export const payCharges = (body) => request('POST', '/outpatient/payments', { body, token: session.token })
