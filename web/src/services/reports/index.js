import { request, qs } from '../http.js'
import { session } from '../session.js'
// newest first; card_id and kind optional
export const listReports = ({ cardId, kind } = {}) =>
  request('GET', `/reports${qs({ card_id: cardId, kind })}`, { token: session.token })
export const getReport = (reportId) => request('GET', `/reports/${reportId}`, { token: session.token })
// a signed link that needs no bearer and lasts at most 5 minutes: asked for each time the PDF is opened
export const createPdfLink = (reportId) => request('POST', `/reports/${reportId}/pdf-link`, { token: session.token })
