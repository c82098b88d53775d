import { request } from '../http.js'
import { session } from '../session.js'
export const listScanHistory = (cardId) => request('GET', `/cards/${cardId}/access-log`, { token: session.token })
