// A stubbed `wx` for page tests: wx.request answered by a route table, storage in memory,
// UI calls recorded. Installed over miniprogram-simulate's own `wx` by `installWx`.
class Reply {
  constructor(statusCode, body) {
    this.statusCode = statusCode
    this.body = body
  }
}

// a non-200 answer: reply(409, {error: {...}}), reply(204)
function reply(statusCode, body) {
  return new Reply(statusCode, body)
}

function apiError(statusCode, code, extra) {
  return new Reply(statusCode, { error: Object.assign({ code, message: code }, extra) })
}

function createFakeWx({ routes = {}, loginCodes } = {}) {
  const storage = {}
  const calls = {
    requests: [],
    toasts: [],
    modals: [],
    navigations: [],
    redirects: [],
    payments: [],
    downloads: [],
    documents: [],
    subscriptions: [],
    badges: [],
    logins: 0,
  }
  let modalAnswer = true
  let codeSeq = 0
  const fake = {
    calls,
    routes,
    answerModals(value) {
      modalAnswer = value
    },
    request({ url, method = 'GET', data, header, success, fail }) {
      const u = new URL(url)
      const path = u.pathname.replace(/^\/api\/v1/, '')
      const key = `${method} ${path}`
      calls.requests.push({ method, path, query: Object.fromEntries(u.searchParams), data, header })
      const route = routes[key]
      setTimeout(() => {
        if (route === undefined) {
          success({ statusCode: 404, data: { error: { code: 'not_found', message: `no route ${key}` } } })
          return
        }
        const answer =
          typeof route === 'function' ? route({ path, query: Object.fromEntries(u.searchParams), data, header }) : route
        if (answer === 'network-down') return fail({ errMsg: 'request:fail' })
        const { statusCode, body } = answer instanceof Reply ? answer : { statusCode: 200, body: answer }
        success({ statusCode, data: body === undefined ? '' : body })
      }, 0)
    },
    login({ success }) {
      calls.logins += 1
      codeSeq += 1
      setTimeout(() => success({ code: loginCodes ? loginCodes[codeSeq - 1] : `code${codeSeq}` }), 0)
    },
    getStorageSync: (k) => (k in storage ? storage[k] : ''),
    setStorageSync: (k, v) => {
      storage[k] = v
    },
    removeStorageSync: (k) => {
      delete storage[k]
    },
    getAccountInfoSync: () => ({ miniProgram: { envVersion: 'develop' } }),
    showToast: (opts) => calls.toasts.push(opts.title),
    showLoading: () => {},
    hideLoading: () => {},
    showModal: (opts) => {
      calls.modals.push(opts)
      setTimeout(() => opts.success && opts.success({ confirm: modalAnswer, cancel: !modalAnswer }), 0)
    },
    navigateTo: (opts) => calls.navigations.push(opts.url),
    redirectTo: (opts) => calls.redirects.push(opts.url),
    navigateBack: () => calls.navigations.push('back'),
    reLaunch: (opts) => calls.redirects.push(opts.url),
    stopPullDownRefresh: () => {},
    setNavigationBarTitle: () => {},
    vibrateShort: () => {},
    setClipboardData: () => {},
    // what the resident answers to each template asked for: fake.subscribeAnswers = {tmplId: 'reject'}
    requestSubscribeMessage: (opts) => {
      calls.subscriptions.push(opts.tmplIds)
      const answers = fake.subscribeAnswers || {}
      setTimeout(() => opts.success(Object.fromEntries(opts.tmplIds.map((id) => [id, answers[id] || 'accept']))), 0)
    },
    setTabBarBadge: (opts) => calls.badges.push(opts.text),
    removeTabBarBadge: () => calls.badges.push(''),
    requestPayment: (opts) => {
      calls.payments.push(opts)
      setTimeout(
        () =>
          fake.paymentOutcome === 'cancel' ? opts.fail({ errMsg: 'requestPayment:fail cancel' }) : opts.success({}),
        0,
      )
    },
    // wx.downloadFile sends no Authorization header: the recorded call keeps whatever header it had
    downloadStatus: 200,
    downloadFile: (opts) => {
      calls.downloads.push({ url: opts.url, header: opts.header })
      setTimeout(() => {
        if (fake.downloadStatus === 'fail') return opts.fail && opts.fail({ errMsg: 'downloadFile:fail' })
        opts.success({ statusCode: fake.downloadStatus, tempFilePath: 'wxfile://tmp/report.pdf' })
      }, 0)
    },
    openDocument: (opts) => {
      calls.documents.push({ filePath: opts.filePath, fileType: opts.fileType })
      setTimeout(() => opts.success && opts.success({}), 0)
    },
    brightness: 0.5,
    setScreenBrightness: (o) => {
      fake.brightness = o.value
    },
    getScreenBrightness: (o) => o && o.success && o.success({ value: fake.brightness }),
    setKeepScreenOn: () => {},
    createSelectorQuery: () => fake._selectorQuery(),
    _selectorQuery() {
      const chain = {
        in: () => chain,
        select: () => chain,
        fields: () => chain,
        exec: (cb) => cb([null]),
      }
      return chain
    },
  }
  return fake
}

module.exports = { createFakeWx, reply, apiError }
