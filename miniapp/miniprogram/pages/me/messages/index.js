// Messages the service sent this account (sessions suspended, refunds, who linked the own card,
// a link the card's owner ended).
const notifications = require('../../../services/notifications')
const { load } = require('../../../utils/page')
const { formatDateTime } = require('../../../utils/time')
const { fenToYuan } = require('../../../utils/money')
const { relationLabel } = require('../../../utils/identity')

function describe(note) {
  const p = note.payload || {}
  if (note.kind === 'schedule_suspended') {
    return {
      title: '停诊通知',
      body: `您预约的 ${p.hospital || ''} ${p.department || ''} ${p.doctor || ''}（${p.date || ''} ${p.start || ''}）已停诊${p.reason ? `，原因：${p.reason}` : ''}。` +
        (p.refund_fen ? `挂号费 ¥${fenToYuan(p.refund_fen)} 将原路退回。` : ''),
    }
  }
  if (note.kind === 'card_linked') {
    return {
      title: '您的健康卡被关联',
      body: `您的电子健康卡被 ${p.account_masked || '一个微信账号'} 以“${relationLabel(p.relation) || '家人'}”身份关联` +
        `${p.linked_at ? `（${formatDateTime(p.linked_at)}）` : ''}。对方可为您出示二维码、预约挂号；如不认识该账号，请点此查看并结束关联。`,
      url: `/pages/cards/links/index${p.card_id ? `?card_id=${p.card_id}` : ''}`,
    }
  }
  if (note.kind === 'card_link_ended') {
    const by = p.ended_by === 'owner' ? '持卡人本人' : '您'
    return {
      title: '家人健康卡关联已结束',
      body: `您以“${relationLabel(p.relation) || '家人'}”身份关联的一张电子健康卡，已由${by}结束关联` +
        `${p.ended_at ? `（${formatDateTime(p.ended_at)}）` : ''}。您不能再使用这张卡，为其锁定但未支付的号源已释放，已支付的预约仍保留在该卡上。`,
    }
  }
  return { title: '系统消息', body: p.text || '您有一条新消息' }
}

// where tapping a message goes: its booking, or the page the message names
function target(note, described) {
  const bookingId = (note.payload || {}).booking_id
  if (bookingId) return `/pages/booking/detail/index?id=${bookingId}`
  return described.url || ''
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
        apply: (list) => ({
          messages: list.map((n) => {
            const described = describe(n)
            const at = formatDateTime(n.created_at)
            return { id: n.id, at, title: described.title, body: described.body, url: target(n, described) }
          }),
        }),
        isEmpty: (list) => list.length === 0,
      })
    },
    onOpen(e) {
      const url = e.currentTarget.dataset.url
      if (url) wx.navigateTo({ url })
    },
  },
})
