const http = require('../utils/request')

module.exports = {
  // GET /notifications -> [{id, kind, payload, status, created_at}]
  listNotifications: () => http.get('/notifications'),
}
