// After paying: the booking exists once the service has WeChat's payment notification, so the
// payment is polled for a short while.
const payments = require('../../../services/payments')
const booking = require('../../../services/booking')
const { bookingRow, PAYMENT_STATUS } = require('../../../utils/labels')

const POLLS = 15
const POLL_MS = 1000

Component({
  data: { status: 'loading', error: '', outcome: 'pending', outTradeNo: '', booking: null, paymentText: '' },
  methods: {
    onLoad(query) {
      this.setData({ outTradeNo: query.out_trade_no || '' })
      return this.poll()
    },
    onUnload() {
      this._stopped = true
    },
    async poll() {
      this.setData({ status: 'loading', outcome: 'pending' })
      for (let i = 0; i < POLLS && !this._stopped; i += 1) {
        let payment
        try {
          payment = await payments.getPayment(this.data.outTradeNo)
        } catch (err) {
          this.setData({ status: 'error', error: err.message })
          return
        }
        if (payment.status === 'booked' && payment.booking_id) {
          const row = bookingRow(await booking.getBooking(payment.booking_id))
          this.setData({ status: 'ready', outcome: 'booked', booking: row })
          return
        }
        if (payment.status !== 'created') {
          this.setData({
            status: 'ready',
            outcome: 'failed',
            paymentText: PAYMENT_STATUS[payment.status] || payment.status,
          })
          return
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_MS))
      }
      this.setData({ status: 'ready', outcome: 'pending' })
    },
    onDetail() {
      wx.redirectTo({ url: `/pages/booking/detail/index?id=${this.data.booking.id}` })
    },
    onBookings() {
      wx.redirectTo({ url: '/pages/booking/list/index' })
    },
    onHome() {
      wx.reLaunch({ url: '/pages/home/index/index' })
    },
  },
})
