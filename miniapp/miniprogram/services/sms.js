const http = require('../utils/request')

module.exports = {
  // POST /sms/codes {phone, purpose: claim_card | add_family | change_phone} -> 202 {sent, retry_after, dev_code?}
  sendSmsCode: (phone, purpose) => http.post('/sms/codes', { phone, purpose }, { auth: false }),
}
