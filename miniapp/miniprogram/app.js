const http = require('./utils/request')

App({
  onLaunch() {
    // Log in early so the first page's requests find a token; a failure is retried by the
    // request wrapper on the first call that needs one.
    if (!http.storedToken()) http.login().catch(() => {})
  },
})
