// One booking: where and when, the live queue (refreshed while the page is open) and
// cancelling (退号) with its refund.
const booking = require('../../../services/booking')
const queueing = require('../../../services/queueing')
const { load, toastError, confirm } = require('../../../utils/page')
const { bookingRow, QUEUE_STATUS } = require('../../../utils/labels')
const { prepareSubscriptions, askToSubscribe } = require('../../../utils/subscribe')

const QUEUE_REFRESH_MS = 15000
const LIVE = ['confirmed', 'checked_in', 'called']
// once in the clinic's queue a booking cannot be cancelled, whatever its status field says
const IN_QUEUE = ['waiting', 'called', 'done']

Component({
  data: { status: 'loading', error: '', id: 0, booking: null, queue: null, queueError: '', cancelling: false },
  methods: {
    onLoad(query) {
      this.setData({ id: Number(query.id) })
      prepareSubscriptions()
      return this.refresh()
    },
    onShow() {
      if (this.data.booking && !this._timer) this.startQueue()
    },
    onHide() {
      this.stopQueue()
    },
    onUnload() {
      this.stopQueue()
    },
    onPullDownRefresh() {
      return this.refresh()
    },
    async refresh() {
      const found = await load(this, () => booking.getBooking(this.data.id), {
        apply: (b) => ({ booking: bookingRow(b) }),
      })
      if (found) this.startQueue()
    },
    startQueue() {
      this.stopQueue()
      if (!LIVE.includes(this.data.booking.status)) return Promise.resolve()
      this._timer = setInterval(() => this.loadQueue(), QUEUE_REFRESH_MS)
      return this.loadQueue()
    },
    async onSubscribeQueue() {
      const answers = await askToSubscribe('queue')
      const accepted = Object.values(answers).includes('accept')
      wx.showToast({ title: accepted ? '将在快到您和叫到您时提醒' : '未开启提醒，可在消息中查看', icon: 'none' })
    },
    stopQueue() {
      if (this._timer) clearInterval(this._timer)
      this._timer = null
    },
    async loadQueue() {
      try {
        const q = await queueing.getBookingQueue(this.data.id)
        const inQueue = IN_QUEUE.includes(q.status)
        this.setData({
          queueError: '',
          'booking.cancellable': this.data.booking.cancellable && !inQueue,
          'booking.checkedIn': inQueue,
          queue: {
            called: q.called_number === null || q.called_number === undefined ? '未开始' : `${q.called_number} 号`,
            yours: q.your_number,
            ahead: q.ahead,
            status: q.status,
            statusText: QUEUE_STATUS[q.status] || q.status,
          },
        })
      } catch (err) {
        this.setData({ queueError: err.message })
      }
    },
    async onCancel() {
      const b = this.data.booking
      const ok = await confirm('取消预约', `退号后挂号费 ¥${b.amount} 将原路退回。确定取消 ${b.when} 的预约吗？`)
      if (!ok) return
      this.setData({ cancelling: true })
      try {
        const cancelled = await booking.cancelBooking(b.id)
        this.stopQueue()
        this.setData({ booking: bookingRow(cancelled), queue: null })
        wx.showToast({ title: '已取消，费用原路退回', icon: 'none' })
      } catch (err) {
        toastError(err)
      } finally {
        this.setData({ cancelling: false })
      }
    },
    onShowCode() {
      wx.navigateTo({ url: `/pages/cards/qrcode/index?card_id=${this.data.booking.cardId}` })
    },
  },
})
