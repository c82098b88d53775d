// Messages the service sent this account (sessions suspended, refunds).
const notifications = require('../../../services/notifications')
const { load } = require('../../../utils/page')
const { formatDateTime } = require('../../../utils/time')
const { fenToYuan } = require('../../../utils/money')

function describe(note) {
  const p = note.payload || {}
  if (note.kind === 'schedule_suspended') {
    return {
      title: '停诊通知',
      body: `您预约的 ${p.hospital || ''} ${p.department || ''} ${p.doctor || ''}（${p.date || ''} ${p.start || ''}）已停诊${p.reason ? `，原因：${p.reason}` : ''}。` +
        (p.refund_fen ? `挂号费 ¥${fenToYuan(p.refund_fen)} 将原路退回。` : ''),
    }
  }
  return { title: '系统消息', body: p.text || '您有一条新消息' }
}

Component({
  data: { status: 'loading', error: '', messages: [] },
  methods: {
    onLoad() {
      return this.refresh()
    },
    onPullDownRefresh() {
      return this.refresh()
    },
    refresh() {
      return load(this, () => notifications.listNotifications(), {
        apply: (list) => ({ messages: list.map((n) => Object.assign({ id: n.id, at: formatDateTime(n.created_at), bookingId: (n.payload || {}).booking_id || 0 }, describe(n))) }),
        isEmpty: (list) => list.length === 0,
      })
    },
    onOpen(e) {
      const id = e.currentTarget.dataset.booking
      if (id) wx.navigateTo({ url: `/pages/booking/detail/index?id=${id}` })
    },
  },
})
