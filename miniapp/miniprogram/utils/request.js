// The one way the mini-program talks to the service: base URL from config, the bearer token
// attached, one fresh wx.login and retry when the token is refused, and every error turned into
// an ApiError carrying the backend's code and a Chinese sentence.
const config = require('../config')
const { sentenceFor } = require('./errors')

const TOKEN_KEY = 'ehealth.token'

class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || (status === 0 ? { code: 'network' } : {})
    super(sentenceFor(error, status))
    this.status = status
    this.code = error.code || 'internal'
    this.details = error
  }
}

function queryString(params) {
  const parts = []
  Object.keys(params || {}).forEach((key) => {
    const value = params[key]
    if (value === undefined || value === null || value === '') return
    parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
  })
  return parts.length ? `?${parts.join('&')}` : ''
}

function rawRequest({ method, path, query, data, token }) {
  const header = { 'content-type': 'application/json' }
  if (token) header.Authorization = `Bearer ${token}`
  return new Promise((resolve) => {
    wx.request({
      url: config.get().apiBase + path + queryString(query),
      method,
      data: method === 'GET' || data === undefined ? undefined : data,
      header,
      dataType: 'json',
      success: (res) => resolve({ status: res.statusCode, body: res.data }),
      fail: () => resolve({ status: 0, body: null }),
    })
  })
}

function storedToken() {
  try {
    return wx.getStorageSync(TOKEN_KEY) || ''
  } catch (e) {
    return ''
  }
}

let loginInFlight = null

// wx.login -> POST /auth/wx-login; concurrent callers share one login
function login() {
  if (!loginInFlight) {
    loginInFlight = new Promise((resolve, reject) => {
      wx.login({
        success: (res) => resolve(res.code),
        fail: () => reject(new ApiError(0, { error: { code: 'invalid_wx_code' } })),
      })
    })
      .then((code) => rawRequest({ method: 'POST', path: '/auth/wx-login', data: { code } }))
      .then(({ status, body }) => {
        if (status !== 200) throw new ApiError(status, body)
        wx.setStorageSync(TOKEN_KEY, body.token)
        return body
      })
      .finally(() => {
        loginInFlight = null
      })
  }
  return loginInFlight
}

function logoutLocally() {
  wx.removeStorageSync(TOKEN_KEY)
}

const REFUSED_TOKEN = ['invalid_token', 'unauthorized']

async function request(method, path, { query, data, auth = true } = {}) {
  let token = auth ? storedToken() : ''
  if (auth && !token) token = (await login()).token
  let res = await rawRequest({ method, path, query, data, token })
  const refused = res.status === 401 && res.body && res.body.error && REFUSED_TOKEN.includes(res.body.error.code)
  if (auth && refused) {
    token = (await login()).token
    res = await rawRequest({ method, path, query, data, token })
  }
  if (res.status >= 200 && res.status < 300) return res.body === '' ? null : res.body
  throw new ApiError(res.status, res.body)
}

module.exports = {
  ApiError,
  login,
  logoutLocally,
  storedToken,
  get: (path, opts) => request('GET', path, opts),
  post: (path, data, opts) => request('POST', path, Object.assign({ data }, opts)),
  put: (path, data, opts) => request('PUT', path, Object.assign({ data }, opts)),
  del: (path, opts) => request('DELETE', path, opts),
  TOKEN_KEY,
}
