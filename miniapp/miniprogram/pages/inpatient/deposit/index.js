// Topping up the inpatient deposit (预缴金) through WeChat Pay; the bill shows it once paid.
const inpatient = require('../../../services/inpatient')
const { pay } = require('../../../utils/pay')
const { toastError } = require('../../../utils/page')
const { yuanToFen, fenToYuan } = require('../../../utils/money')

const PRESETS = [100000, 200000, 500000]
const MAX_FEN = 5000000 // the service's default DEPOSIT_MAX_FEN (50,000 yuan); above it, pay at the hospital's desk

Component({
  data: {
    query: null,
    balance: '',
    amountText: '',
    presets: PRESETS.map((fen) => ({ fen, text: fenToYuan(fen).replace('.00', '') })),
    amountHint: '',
    paying: false,
    done: false,
  },
  methods: {
    onLoad(query) {
      this.setData({
        query: {
          hospitalId: Number(query.hospital_id),
          cardId: query.card_id,
          admissionNo: decodeURIComponent(query.admission_no || ''),
        },
        balance: query.balance || '',
      })
    },
    onAmount(e) {
      const amountText = e.detail.value
      const fen = yuanToFen(amountText)
      this.setData({
        amountText,
        amountHint:
          amountText && (fen === null || fen <= 0)
            ? '请输入正确的金额，最多两位小数'
            : fen > MAX_FEN
              ? '单笔充值不超过5万元'
              : '',
      })
    },
    onPreset(e) {
      this.setData({ amountText: fenToYuan(e.currentTarget.dataset.fen), amountHint: '' })
    },
    async onPay() {
      const fen = yuanToFen(this.data.amountText)
      if (fen === null || fen <= 0 || fen > MAX_FEN) {
        wx.showToast({ title: '请输入正确的充值金额', icon: 'none' })
        return
      }
      this.setData({ paying: true })
      try {
        const deposit = await inpatient.topUpDeposit(Object.assign({}, this.data.query, { amountFen: fen }))
        const outcome = await pay({ outTradeNo: deposit.out_trade_no, payParams: deposit.pay_params })
        if (outcome === 'cancelled') {
          wx.showToast({ title: '已取消支付', icon: 'none' })
          return
        }
        this.setData({ done: true })
        wx.showToast({ title: '充值成功', icon: 'success' })
        setTimeout(() => wx.navigateBack(), 1500)
      } catch (err) {
        toastError(err)
      } finally {
        this.setData({ paying: false })
      }
    },
  },
})
