import { request, qs } from '../http.js'
import { session } from '../session.js'
// POST /cards: 409 phone_mismatch (with phone_masked) when the card exists with another phone
export const claimCard = (form) => request('POST', '/cards', { body: form, token: session.token })
// GET /cards: card.owner is "self" (the caller's own), "other" (a linked card with an owner) or "none"
export const listCards = () => request('GET', '/cards', { token: session.token })
export const getCard = (cardId) => request('GET', `/cards/${cardId}`, { token: session.token })
export const getQrCode = (cardId, kind = 'dynamic') =>
  request('GET', `/cards/${cardId}/qrcode${qs({ kind, format: 'json' })}`, { token: session.token })
// The SVG image, fetched with the token (an <img src> could not send it).
export async function getQrSvg(cardId, kind = 'dynamic') {
  const response = await request('GET', `/cards/${cardId}/qrcode${qs({ kind, format: 'svg' })}`, {
    token: session.token,
    raw: true,
  })
  if (!response.ok) throw new Error(`HTTP ${response.status}`)
  return response.text()
}
// A new card_id (the old static code stops working); 403 owner_only for a linked card with an owner
export const reissueCard = (cardId) => request('POST', `/cards/${cardId}/reissue`, { body: {}, token: session.token })
// The owner's own card: the accounts linked to it [{link_id, account_masked, relation, linked_at}]
export const listCardLinks = (cardId) => request('GET', `/cards/${cardId}/links`, { token: session.token })
// The owner ends a link at once (204)
export const endCardLink = (cardId, linkId) =>
  request('DELETE', `/cards/${cardId}/links/${linkId}`, { token: session.token })
// The owner's new phone {phone, sms_code}, the code sent to that new phone (purpose change_phone)
export const changeCardPhone = (cardId, form) =>
  request('PUT', `/cards/${cardId}/phone`, { body: form, token: session.token })
