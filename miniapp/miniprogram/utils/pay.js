// Paying an order: wx.requestPayment with the service's pay_params. Against the local dev server
// (whose WeChat Pay is a stand-in no real wallet can pay) the stand-in is asked to pay instead.
const config = require('../config')
const dev = require('../services/dev')

function requestPayment(payParams) {
  return new Promise((resolve, reject) => {
    wx.requestPayment(
      Object.assign({}, payParams, {
        success: () => resolve('paid'),
        fail: (err) => {
          const msg = (err && err.errMsg) || ''
          if (msg.includes('cancel')) resolve('cancelled')
          else reject(new Error('支付未完成，请重试'))
        },
      }),
    )
  })
}

// -> 'paid' | 'cancelled'
async function pay({ outTradeNo, payParams }) {
  if (!payParams) return 'paid' // a free session is booked without paying
  if (config.get().devPayments) {
    const confirmed = await new Promise((resolve) => {
      wx.showModal({
        title: '开发环境模拟支付',
        content: '本地服务使用微信支付模拟器，确认后由模拟器完成支付。',
        confirmText: '确认支付',
        success: (res) => resolve(Boolean(res.confirm)),
        fail: () => resolve(false),
      })
    })
    if (!confirmed) return 'cancelled'
    await dev.completeStandInPayment(outTradeNo)
    return 'paid'
  }
  return requestPayment(payParams)
}

module.exports = { pay }
