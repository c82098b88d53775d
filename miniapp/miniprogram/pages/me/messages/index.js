// The inbox: every message to this account, newest first, a page at a time, unread ones marked;
// tapping one marks it read and opens the page it is about.
const notifications = require('../../../services/notifications')
const { load, toastError } = require('../../../utils/page')
const { formatDateTime } = require('../../../utils/time')
const { showOnTabBar } = require('../../../utils/badge')
const { describeMessage } = require('../../../miniprogram_npm/ehealth-shared/texts.js')

const PAGE = 20

// where tapping a message goes: the page the backend names for it (its booking, report, ...)
function target(note) {
  if (note.page) return `/${note.page}`
  const bookingId = (note.payload || {}).booking_id
  return bookingId ? `/pages/booking/detail/index?id=${bookingId}` : ''
}

function row(note) {
  const described = describeMessage(note)
  return {
    id: note.id,
    at: formatDateTime(note.created_at),
    title: described.title,
    body: described.body,
    url: target(note),
    read: Boolean(note.read),
    critical: Boolean((note.payload || {}).critical),
  }
}

Component({
  data: { status: 'loading', error: '', messages: [], unread: 0, nextBefore: null, loadingMore: false },
  methods: {
    onLoad() {
      return this.refresh()
    },
    onPullDownRefresh() {
      return this.refresh()
    },
    refresh() {
      return load(this, () => notifications.listNotifications({ limit: PAGE }), {
        apply: (page) => this.applied(page, []),
        isEmpty: (page) => page.items.length === 0,
      })
    },
    applied(page, before) {
      showOnTabBar(page.unread)
      return { messages: before.concat(page.items.map(row)), unread: page.unread, nextBefore: page.next_before }
    },
    async onReachBottom() {
      if (!this.data.nextBefore || this.data.loadingMore) return
      this.setData({ loadingMore: true })
      try {
        const page = await notifications.listNotifications({ before: this.data.nextBefore, limit: PAGE })
        this.setData(this.applied(page, this.data.messages))
      } catch (err) {
        toastError(err)
      } finally {
        this.setData({ loadingMore: false })
      }
    },
    async onOpen(e) {
      const { id, url } = e.currentTarget.dataset
      const index = this.data.messages.findIndex((m) => m.id === id)
      if (index >= 0 && !this.data.messages[index].read) {
        this.setData({ [`messages[${index}].read`]: true, unread: Math.max(0, this.data.unread - 1) })
        notifications.markRead({ ids: [id] }).then(
          (answer) => {
            this.setData({ unread: answer.unread })
            showOnTabBar(answer.unread)
          },
          () => {},
        )
      }
      if (url) wx.navigateTo({ url })
    },
    async onReadAll() {
      try {
        const answer = await notifications.markRead({ all: true })
        this.setData({
          messages: this.data.messages.map((m) => Object.assign({}, m, { read: true })),
          unread: answer.unread,
        })
        showOnTabBar(answer.unread)
      } catch (err) {
        toastError(err)
      }
    },
  },
})
