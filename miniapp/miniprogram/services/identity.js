// /auth: logging in with wx.login, who am I, logging out
const http = require('../utils/request')

module.exports = {
  // POST /auth/wx-login {code} -> {token, expires_in, account_id} (wx.login is called inside)
  wxLogin: () => http.login(),
  // GET /auth/me -> {account_id}
  getMe: () => http.get('/auth/me'),
  // POST /auth/logout -> 204
  logout: () => http.post('/auth/logout', {}).then(() => http.logoutLocally()),
}
