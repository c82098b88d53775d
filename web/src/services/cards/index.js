import { request, qs } from '../http.js'
import { session } from '../session.js'
export const claimCard = (form) => request('POST', '/cards', { body: form, token: session.token })
export const listCards = () => request('GET', '/cards', { token: session.token })
export const getCard = (cardId) => request('GET', `/cards/${cardId}`, { token: session.token })
export const getQrCode = (cardId, kind = 'dynamic') => request('GET', `/cards/${cardId}/qrcode${qs({ kind, format: 'json' })}`, { token: session.token })
// The SVG image, fetched with the token (an <img src> could not send it).
export async function getQrSvg(cardId, kind = 'dynamic') {
  const response = await request('GET', `/cards/${cardId}/qrcode${qs({ kind, format: 'svg' })}`, { token: session.token, raw: true })
  if (!response.ok) throw new Error(`HTTP ${response.status}`)
  return response.text()
}
