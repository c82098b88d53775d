// The `wx` the services need, over Node's fetch, pointed at the contract backend. Every shim
// logs in as its own WeChat user (the dev stand-in accepts any code, once; `user#n` is user).
const crypto = require('crypto')

function createWx(user) {
  const storage = {}
  let logins = 0
  return {
    get logins() {
      return logins
    },
    request({ url, method = 'GET', data, header, success, fail }) {
      const init = { method, headers: header }
      if (data !== undefined && method !== 'GET') init.body = JSON.stringify(data)
      fetch(url, init)
        .then(async (res) => {
          const raw = await res.text()
          let body = raw
          try {
            body = raw ? JSON.parse(raw) : ''
          } catch (e) {
            // not JSON: handed over as text, as wx.request does
          }
          success({ statusCode: res.status, data: body, header: Object.fromEntries(res.headers) })
        })
        .catch((err) => fail({ errMsg: `request:fail ${err.message}` }))
    },
    login({ success }) {
      logins += 1
      success({ code: `${user}#${crypto.randomBytes(6).toString('hex')}` })
    },
    getStorageSync: (k) => (k in storage ? storage[k] : ''),
    setStorageSync: (k, v) => {
      storage[k] = v
    },
    removeStorageSync: (k) => {
      delete storage[k]
    },
    getAccountInfoSync: () => ({ miniProgram: { envVersion: 'develop' } }),
    showModal: (opts) => setTimeout(() => opts.success({ confirm: true, cancel: false }), 0),
    requestPayment: () => {
      throw new Error('the contract run pays through the dev stand-in')
    },
  }
}

// A random valid resident ID number (GB 11643); `year` for a child's
function idNumber(year) {
  const { checkDigit } = require('../../miniprogram/utils/identity')
  const y = year || 1950 + crypto.randomInt(0, 50)
  const m = String(1 + crypto.randomInt(0, 12)).padStart(2, '0')
  const d = String(1 + crypto.randomInt(0, 28)).padStart(2, '0')
  const first17 = `110105${y}${m}${d}${String(1 + crypto.randomInt(0, 999)).padStart(3, '0')}`
  return first17 + checkDigit(first17)
}

function phone() {
  return `139${String(crypto.randomInt(0, 1e8)).padStart(8, '0')}`
}

// A hospital system's request to the contract backend, signed with the demo hospital's dev intake
// secret (`dev-his-<code>`) at the service clock's time. A JSON body is an object; anything else
// (a PDF) goes as bytes with its content type.
async function hisRequest(method, hospitalCode, pathAndQuery, body, contentType = 'application/json') {
  const base = process.env.EHEALTH_CONTRACT_BASE
  const now = (await (await fetch(`${base}/api/v1/dev/clock`)).json()).now
  const timestamp = String(Math.floor(Date.parse(now) / 1000))
  const nonce = crypto.randomBytes(16).toString('hex')
  const raw = body === undefined ? '' : Buffer.isBuffer(body) ? body : JSON.stringify(body)
  const fullPath = `/api/v1${pathAndQuery}`
  const bodyHash = crypto.createHash('sha256').update(raw).digest('hex')
  const signature = crypto
    .createHmac('sha256', `dev-his-${hospitalCode}`)
    .update([method, fullPath, timestamp, nonce, bodyHash].join('\n'))
    .digest('hex')
  const res = await fetch(`${base}${fullPath}`, {
    method,
    headers: { 'content-type': contentType, 'X-Timestamp': timestamp, 'X-Nonce': nonce, 'X-Signature': signature },
    body: raw.length ? raw : undefined,
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : null }
}

module.exports = { createWx, idNumber, phone, hisRequest }
