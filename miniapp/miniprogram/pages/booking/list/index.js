const booking = require('../../../services/booking')
const { load } = require('../../../utils/page')
const { bookingRow } = require('../../../utils/labels')

Component({
  data: { status: 'loading', error: '', bookings: [] },
  methods: {
    onLoad() {
      return this.refresh()
    },
    onShow() {
      if (this._loaded) this.refresh()
    },
    onPullDownRefresh() {
      return this.refresh()
    },
    async refresh() {
      await load(this, () => booking.listBookings(), {
        apply: (list) => ({ bookings: list.map(bookingRow) }),
        isEmpty: (list) => list.length === 0,
      })
      this._loaded = true
    },
    onOpen(e) {
      wx.navigateTo({ url: `/pages/booking/detail/index?id=${e.currentTarget.dataset.id}` })
    },
    onBook() {
      wx.navigateTo({ url: '/pages/booking/hospitals/index' })
    },
  },
})
