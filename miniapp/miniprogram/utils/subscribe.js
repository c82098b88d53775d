// Subscribe messages (订阅消息): WeChat sends one only where the resident allowed that template,
// once per allowance, and lets the mini-program ask only during a tap. The template ids are
// fetched ahead (`prepareSubscriptions` on the page's load) so that the tap handler can call
// wx.requestSubscribeMessage at once; the answers go to the backend, which counts one allowance
// per "accept". Without an allowance a message still reaches the inbox.
const notifications = require('../services/notifications')

// the moments the mini-program asks, and for which kinds (WeChat shows at most 3 per request)
const MOMENTS = {
  pay_hold: ['booking_confirmed', 'visit_reminder', 'schedule_suspended'],
  claim_card: ['card_linked', 'refund_done', 'deposit_credited'],
  reports: ['report_ready'],
  queue: ['queue_reminder', 'queue_called'],
  charges: ['charge_waiting', 'charge_paid'],
}
const ANSWERS = ['accept', 'reject', 'ban', 'filter']
let templates = null

function prepareSubscriptions() {
  if (templates) return Promise.resolve(templates)
  return notifications
    .listTemplates()
    .then((answer) => {
      templates = answer.templates || {}
      return templates
    })
    .catch(() => null) // no template ids: the tap asks for nothing, the inbox still works
}

// Call first thing in a tap handler; resolves to the answers by kind ({} when nothing was asked).
function askToSubscribe(moment) {
  const kinds = (MOMENTS[moment] || []).filter((k) => templates && templates[k])
  const ids = [...new Set(kinds.map((k) => templates[k]))].slice(0, 3)
  if (!ids.length || !wx.requestSubscribeMessage) return Promise.resolve({})
  return new Promise((resolve) => {
    wx.requestSubscribeMessage({
      tmplIds: ids,
      success: (res) => resolve(res || {}),
      fail: () => resolve({}), // the resident turned subscribe messages off: nothing to count
    })
  }).then((res) => {
    const answers = {}
    kinds.forEach((k) => {
      if (ANSWERS.includes(res[templates[k]])) answers[k] = res[templates[k]]
    })
    if (!Object.keys(answers).length) return answers
    return notifications.recordSubscriptions(answers).then(
      () => answers,
      () => answers, // counted next time; never in the way of paying or claiming
    )
  })
}

function forgetTemplates() {
  templates = null
}

module.exports = { MOMENTS, prepareSubscriptions, askToSubscribe, forgetTemplates }
