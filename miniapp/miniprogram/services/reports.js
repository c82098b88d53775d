const http = require('../utils/request')

module.exports = {
  // GET /reports?card_id=&kind= -> [{report_id, card_id, hospital_name, kind, title, reported_at, status, amended_at,
  // has_critical, has_pdf, sensitive}], newest first
  listReports: ({ cardId, kind } = {}) => http.get('/reports', { query: { card_id: cardId, kind } }),
  // GET /reports/{report_id} -> the report with results [{name, value, unit, reference_range, flag, critical}]
  getReport: (reportId) => http.get(`/reports/${reportId}`),
  // POST /reports/{report_id}/pdf-link -> {url, path, expires_at, expires_in}: a signed link, no bearer needed
  createPdfLink: (reportId) => http.post(`/reports/${reportId}/pdf-link`),
}
