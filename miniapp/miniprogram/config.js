// Where the mini-program finds the service. In WeChat DevTools ("develop") it talks to the local
// dev server of `scripts/run`; trial and release builds must point at the deployment's HTTPS host
// (configured as a request domain in the WeChat console) before upload.
const ENVIRONMENTS = {
  develop: { apiBase: 'http://127.0.0.1:8000/api/v1', devPayments: true },
  trial: { apiBase: 'https://ehealth.example.org/api/v1', devPayments: false },
  release: { apiBase: 'https://ehealth.example.org/api/v1', devPayments: false },
}

function envVersion() {
  try {
    return wx.getAccountInfoSync().miniProgram.envVersion || 'develop'
  } catch (e) {
    return 'develop'
  }
}

let override = null

module.exports = {
  get() {
    return override || ENVIRONMENTS[envVersion()] || ENVIRONMENTS.develop
  },
  // tests and the contract run point the app at another server
  set(value) {
    override = value ? Object.assign({}, ENVIRONMENTS.develop, value) : null
  },
}
