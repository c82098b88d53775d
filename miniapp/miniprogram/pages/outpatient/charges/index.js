// Outpatient charges (门诊缴费) of a card: the unpaid ones grouped by hospital and visit, to select
// and pay in one WeChat Pay order; the paid ones with the hospital's guidance and any refunds.
const cards = require('../../../services/cards')
const outpatient = require('../../../services/outpatient')
const { pay } = require('../../../utils/pay')
const { prepareSubscriptions, askToSubscribe } = require('../../../utils/subscribe')
const { load, alertError } = require('../../../utils/page')
const { fenToYuan } = require('../../../utils/money')
const { formatDateTime } = require('../../../utils/time')
const {
  CHARGE_STATUS,
  CHARGE_NOT_PAYABLE,
  CHARGE_REFUND_STATUS,
  CHARGE_REFUND_KIND,
  BILL_CATEGORIES,
} = require('../../../miniprogram_npm/ehealth-shared/texts.js')
const {
  groupCharges,
  toggleCharge,
  selectionTotal,
  paymentRequest,
} = require('../../../miniprogram_npm/ehealth-shared/charges.js')

function chargeRow(c, selected) {
  return {
    id: c.charge_id,
    chargeNo: c.charge_no,
    total: fenToYuan(c.total_fen),
    status: c.status,
    statusText: CHARGE_STATUS[c.status] || c.status,
    payable: c.payable,
    note: c.not_payable_reason ? CHARGE_NOT_PAYABLE[c.not_payable_reason] || '' : '',
    group: c.pay_group ? '需同组一起缴费' : '',
    checked: selected.includes(c.charge_id),
    items: c.items.map((i) => ({
      key: `${i.item_code}-${i.name}`,
      name: i.name,
      category: BILL_CATEGORIES[i.category] || i.category,
      amount: `${i.quantity}${i.unit} × ¥${fenToYuan(i.unit_price_fen)}`,
      subtotal: fenToYuan(i.amount_fen),
    })),
    paidAt: c.paid_at ? formatDateTime(c.paid_at) : '',
    receiptNo: c.receipt_no || '',
    guide: c.guide || '',
    rejectReason: c.reject_reason || '',
    refunds: (c.refunds || []).map((r) => ({
      id: r.refund_id,
      text: `${CHARGE_REFUND_KIND[r.kind] || '退费'} ¥${fenToYuan(r.amount_fen)}`,
      reason: r.reason,
      status: CHARGE_REFUND_STATUS[r.status] || r.status,
    })),
  }
}

Component({
  data: {
    status: 'loading',
    error: '',
    cards: [],
    cardId: '',
    tab: 'unpaid',
    listStatus: 'loading',
    listError: '',
    charges: [],
    groups: [],
    selected: [],
    total: '0.00',
    paying: false,
  },
  methods: {
    async onLoad(query) {
      prepareSubscriptions()
      const list = await load(this, () => cards.listCards(), {
        apply: (cardList) => ({
          cards: cardList,
          cardId: (query && query.card_id) || (cardList.find((c) => c.is_self) || cardList[0] || {}).card_id || '',
          tab: query && query.tab === 'paid' ? 'paid' : 'unpaid',
        }),
        isEmpty: (cardList) => cardList.length === 0,
      })
      if (list && this.data.cardId) await this.loadCharges()
    },
    onShow() {
      if (this.data.status === 'ready' && this.data.cardId) this.loadCharges()
    },
    onPullDownRefresh() {
      return this.data.cardId ? this.loadCharges() : this.onLoad()
    },
    async loadCharges() {
      this.setData({ listStatus: 'loading', listError: '' })
      try {
        const charges = await outpatient.listCharges(this.data.cardId, this.data.tab)
        this.setData({ charges, selected: [], listStatus: charges.length ? 'ready' : 'empty' })
        this.render()
      } catch (err) {
        this.setData({ listStatus: 'error', listError: err.message })
      } finally {
        wx.stopPullDownRefresh()
      }
    },
    render() {
      const { charges, selected } = this.data
      this.setData({
        groups: groupCharges(charges).map((h) => ({
          hospitalId: h.hospitalId,
          hospital: h.hospitalName,
          visits: h.visits.map((v) => ({
            visit: v.visit,
            title: `${v.department} · ${v.doctor}`,
            when: formatDateTime(v.orderedAt),
            charges: v.charges.map((c) => chargeRow(c, selected)),
          })),
        })),
        total: fenToYuan(selectionTotal(selected, charges)),
      })
    },
    onCard(e) {
      this.setData({ cardId: e.detail.cardId })
      return this.loadCharges()
    },
    onTab(e) {
      this.setData({ tab: e.currentTarget.dataset.tab })
      return this.loadCharges()
    },
    onToggle(e) {
      const id = Number(e.currentTarget.dataset.id)
      const charge = this.data.charges.find((c) => c.charge_id === id)
      if (charge && !charge.payable) {
        wx.showToast({ title: CHARGE_NOT_PAYABLE[charge.not_payable_reason] || '该缴费单不能在线支付', icon: 'none' })
        return
      }
      this.setData({ selected: toggleCharge(this.data.selected, charge, this.data.charges) })
      this.render()
    },
    async onPay() {
      if (!this.data.selected.length) {
        wx.showToast({ title: '请选择要缴费的项目', icon: 'none' })
        return
      }
      // WeChat lets a page ask for subscribe messages only inside a tap: the charge messages
      await askToSubscribe('charges')
      this.setData({ paying: true })
      try {
        const body = paymentRequest(this.data.selected, this.data.charges, this.data.cardId)
        const started = await outpatient.payCharges(body)
        const outcome = await pay({ outTradeNo: started.out_trade_no, payParams: started.pay_params })
        if (outcome === 'cancelled') {
          wx.showToast({ title: '已取消支付', icon: 'none' })
          return
        }
        wx.navigateTo({
          url: `/pages/outpatient/result/index?out_trade_no=${started.out_trade_no}&card_id=${this.data.cardId}&charge_ids=${started.charge_ids.join(',')}`,
        })
      } catch (err) {
        // changed, voided or being paid by a family member: the sentence says so; the list is shown anew
        await alertError(err, '未能缴费')
        await this.loadCharges()
      } finally {
        this.setData({ paying: false })
      }
    },
  },
})
