// After paying charges: the payment's outcome, then each charge as the hospital answers it: its
// receipt number and guidance (取药窗口, 检查地点) once acknowledged, "已缴费，等待医院确认" until then.
const outpatient = require('../../../services/outpatient')
const payments = require('../../../services/payments')
const { load } = require('../../../utils/page')
const { fenToYuan } = require('../../../utils/money')
const { CHARGE_STATUS, PAYMENT_STATUS } = require('../../../miniprogram_npm/ehealth-shared/texts.js')

const POLLS = 5
const POLL_MS = 1500

Component({
  data: { status: 'loading', error: '', paid: false, paymentText: '', charges: [], query: null },
  methods: {
    onLoad(query) {
      this.setData({
        query: {
          outTradeNo: query.out_trade_no,
          cardId: query.card_id,
          ids: String(query.charge_ids || '')
            .split(',')
            .filter(Boolean)
            .map(Number),
        },
      })
      return this.refresh()
    },
    onPullDownRefresh() {
      return this.refresh()
    },
    async refresh() {
      const { outTradeNo, cardId, ids } = this.data.query
      let payment = null
      for (let i = 0; i < POLLS; i += 1) {
        payment = await load(this, () => payments.getPayment(outTradeNo))
        if (!payment || payment.status !== 'created') break
        await new Promise((resolve) => setTimeout(resolve, POLL_MS))
      }
      if (!payment) return
      const paid = payment.status === 'paid'
      this.setData({
        paid,
        paymentText: paid
          ? `已支付 ¥${fenToYuan(payment.amount_fen)}`
          : payment.status === 'created'
            ? '正在确认支付结果，请稍后下拉刷新'
            : `${PAYMENT_STATUS[payment.status] || payment.status}：缴费单已变更，款项将原路退回`,
      })
      if (!paid) return
      await load(this, () => outpatient.listCharges(cardId, 'paid'), {
        apply: (rows) => ({
          charges: rows
            .filter((c) => ids.includes(c.charge_id))
            .map((c) => ({
              id: c.charge_id,
              title: `${c.department} 单号 ${c.charge_no}`,
              total: fenToYuan(c.paid_fen || c.total_fen),
              statusText: CHARGE_STATUS[c.status] || c.status,
              receiptNo: c.receipt_no || '',
              guide: c.guide || '',
            })),
        }),
      })
    },
    onBack() {
      wx.redirectTo({ url: `/pages/outpatient/charges/index?card_id=${this.data.query.cardId}&tab=paid` })
    },
  },
})
