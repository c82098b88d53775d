import { reactive } from 'vue'
import { request } from '../http.js'
import { session } from '../session.js'

const auth = () => ({ token: session.token })

// GET /notifications?before=&limit= -> {items, next_before, unread}
export const listNotifications = ({ before, limit } = {}) => {
  const query = new URLSearchParams()
  if (before) query.set('before', before)
  if (limit) query.set('limit', limit)
  const qs = query.toString()
  return request('GET', `/notifications${qs ? `?${qs}` : ''}`, auth())
}
export const unreadCount = () => request('GET', '/notifications/unread', auth())
// {ids: [...]} or {all: true} -> {unread}
export const markRead = (body) => request('POST', '/notifications/read', { ...auth(), body })
export const listTemplates = () => request('GET', '/notifications/templates', auth())
// the mini-program reports what wx.requestSubscribeMessage answered; the web has no such prompt
export const recordSubscriptions = (templates) =>
  request('POST', '/notifications/subscriptions', { ...auth(), body: { templates } })

// the nav's badge: the unread count, refreshed on navigation and after reading
export const inbox = reactive({ unread: 0 })
export async function refreshUnread() {
  if (!session.token) return (inbox.unread = 0)
  try {
    inbox.unread = (await unreadCount()).unread
  } catch {
    // a badge is never worth an error
  }
  return inbox.unread
}
