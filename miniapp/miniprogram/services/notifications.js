const http = require('../utils/request')

module.exports = {
  // GET /notifications?before=&limit= -> {items: [{id, kind, payload, status, created_at, read, page}], next_before, unread}
  listNotifications: ({ before, limit } = {}) =>
    http.get('/notifications', { query: Object.assign({}, before ? { before } : {}, limit ? { limit } : {}) }),
  // -> {unread}
  unreadCount: () => http.get('/notifications/unread'),
  // {ids: [...]} or {all: true} -> {unread}
  markRead: (body) => http.post('/notifications/read', body),
  // -> {templates: {kind: template_id}, allowances: {kind: n}}
  listTemplates: () => http.get('/notifications/templates'),
  // what wx.requestSubscribeMessage answered, by kind -> {allowances}
  recordSubscriptions: (templates) => http.post('/notifications/subscriptions', { templates }),
}
