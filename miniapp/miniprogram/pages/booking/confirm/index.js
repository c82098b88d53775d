// Hold (锁号) then pay: the hold keeps the slot for a limited time, counted down here; paying
// goes through wx.requestPayment with the service's pay_params.
const catalog = require('../../../services/catalog')
const cards = require('../../../services/cards')
const booking = require('../../../services/booking')
const payments = require('../../../services/payments')
const { pay } = require('../../../utils/pay')
const { load, toastError, confirm } = require('../../../utils/page')
const { scheduleRow } = require('../../../utils/labels')
const { secondsUntil, formatCountdown, dateChip } = require('../../../utils/time')
const { syncServerClock, serverNow } = require('../../../utils/server-clock')
const { fenToYuan } = require('../../../utils/money')
const { prepareSubscriptions, askToSubscribe } = require('../../../utils/subscribe')

Component({
  data: {
    status: 'loading',
    error: '',
    scheduleId: 0,
    hospitalId: 0,
    session: null,
    when: '',
    cards: [],
    cardId: '',
    hold: null,
    holdLeft: 0,
    holdLeftText: '',
    expired: false,
    busy: false,
  },
  methods: {
    onLoad(query) {
      this.setData({ scheduleId: Number(query.schedule_id) })
      syncServerClock()
      prepareSubscriptions()
      return this.refresh()
    },
    onUnload() {
      this.stopCountdown()
    },
    refresh() {
      return load(this, () => Promise.all([catalog.getSchedule(this.data.scheduleId), cards.listCards()]), {
        apply: ([schedule, list]) => ({
          session: scheduleRow(schedule),
          hospitalId: schedule.hospital_id,
          when: `${dateChip(schedule.date).label} ${schedule.start}-${schedule.end}`,
          cards: list.filter((c) => c.status === 'active'),
          cardId: this.data.cardId || (list.find((c) => c.is_self) || list[0] || {}).card_id || '',
        }),
      })
    },
    onCard(e) {
      if (!this.data.hold) this.setData({ cardId: e.detail.cardId })
    },
    onClaim() {
      wx.navigateTo({ url: '/pages/cards/claim/index' })
    },
    async onHold() {
      if (!this.data.cardId) {
        wx.showToast({ title: '请先领取健康卡', icon: 'none' })
        return
      }
      this.setData({ busy: true })
      try {
        const hold = await booking.placeHold(this.data.scheduleId, this.data.cardId)
        await this.showHold(hold)
      } catch (err) {
        // this card already holds this session (from an earlier visit to this page): pick it up
        if (err.code === 'already_held' && err.details.state === 'held' && err.details.hold_id) {
          try {
            await this.showHold(await booking.getHold(err.details.hold_id))
            return
          } catch (again) {
            toastError(again)
            return
          }
        }
        // the release waiting room: wait for the turn there, then come back here
        if (err.code === 'not_admitted' && err.details.ticket_status !== 'expired') {
          const back = encodeURIComponent(`/pages/booking/confirm/index?schedule_id=${this.data.scheduleId}`)
          wx.navigateTo({ url: `/pages/releases/waiting/index?hospital_id=${this.data.hospitalId}&next=${back}` })
          return
        }
        toastError(err)
      } finally {
        this.setData({ busy: false })
      }
    },
    async showHold(hold) {
      await syncServerClock()
      this.setData({ hold: Object.assign({}, hold, { amount: fenToYuan(hold.amount_fen) }), expired: false })
      this.tick()
      this.stopCountdown()
      this._tick = setInterval(() => this.tick(), 1000)
    },
    tick() {
      const left = secondsUntil(this.data.hold.expires_at, serverNow())
      this.setData({ holdLeft: left, holdLeftText: formatCountdown(left), expired: left <= 0 })
      if (left <= 0) this.stopCountdown()
    },
    stopCountdown() {
      if (this._tick) clearInterval(this._tick)
      this._tick = null
    },
    async onPay() {
      const hold = this.data.hold
      if (!hold || this.data.expired) return
      this.setData({ busy: true })
      try {
        // in the tap, before WeChat Pay's own sheet: the confirmation, the evening reminder, a suspension
        await askToSubscribe('pay_hold')
        const order = await payments.payHold(hold.hold_id)
        const outcome = await pay({ outTradeNo: order.out_trade_no, payParams: order.pay_params })
        if (outcome === 'cancelled') {
          wx.showToast({ title: `已取消支付，号源保留至倒计时结束`, icon: 'none' })
          return
        }
        this.stopCountdown()
        wx.redirectTo({ url: `/pages/booking/result/index?out_trade_no=${order.out_trade_no}` })
      } catch (err) {
        toastError(err)
      } finally {
        this.setData({ busy: false })
      }
    },
    async onRelease() {
      const ok = await confirm('放弃锁号', '放弃后号源将释放给其他人，确定放弃吗？')
      if (!ok) return
      try {
        await booking.releaseHold(this.data.hold.hold_id)
      } catch (err) {
        // an expired hold is already gone: nothing to give back
        if (err.code !== 'hold_not_found') toastError(err)
      }
      this.stopCountdown()
      this.setData({ hold: null, expired: false })
    },
    onReselect() {
      wx.navigateBack()
    },
  },
})
