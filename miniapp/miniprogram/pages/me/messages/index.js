// Messages the service sent this account (sessions suspended, refunds, who linked the own card,
// a link the card's owner ended).
const notifications = require('../../../services/notifications')
const { load } = require('../../../utils/page')
const { formatDateTime } = require('../../../utils/time')
const { describeMessage } = require('../../../miniprogram_npm/ehealth-shared/texts.js')

// the shared title and body, and where a message about a linked card leads
function describe(note) {
  const described = describeMessage(note)
  const cardId = (note.payload || {}).card_id
  if (note.kind === 'card_linked') described.url = `/pages/cards/links/index${cardId ? `?card_id=${cardId}` : ''}`
  const reportId = (note.payload || {}).report_id
  if (note.kind === 'report_ready' && reportId) described.url = `/pages/reports/detail/index?report_id=${reportId}`
  return described
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
