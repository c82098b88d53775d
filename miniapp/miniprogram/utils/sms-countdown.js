// The "获取验证码" button: sends the code, then counts down the service's retry_after.
const sms = require('../services/sms')

// `page` data used: smsWait (seconds left, 0 = can send), smsHint
async function sendWithCountdown(page, phone, purpose) {
  if (page.data.smsWait > 0) return null
  const res = await sms.sendSmsCode(phone, purpose)
  startCountdown(page, res.retry_after || 60)
  // the dev server echoes the code so the flow can be tried without a phone
  page.setData({
    smsHint: res.dev_code ? `验证码已发送（开发环境验证码：${res.dev_code}）` : '验证码已发送，5分钟内有效',
  })
  return res
}

function startCountdown(page, seconds) {
  stopCountdown(page)
  page.setData({ smsWait: seconds })
  page._smsTimer = setInterval(() => {
    const left = page.data.smsWait - 1
    page.setData({ smsWait: Math.max(0, left) })
    if (left <= 0) stopCountdown(page)
  }, 1000)
}

function stopCountdown(page) {
  if (page._smsTimer) clearInterval(page._smsTimer)
  page._smsTimer = null
}

module.exports = { sendWithCountdown, stopCountdown }
