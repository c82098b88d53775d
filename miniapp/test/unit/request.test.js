const { createFakeWx, reply, apiError } = require('../support/fake-wx')

let http
function setup(routes) {
  jest.resetModules()
  global.wx = createFakeWx({ routes })
  http = require('../../miniprogram/utils/request')
  return global.wx
}

test('logs in once, attaches the token, builds the query string', async () => {
  const fake = setup({
    'POST /auth/wx-login': { token: 'tok', expires_in: 10, account_id: 7 },
    'GET /departments/3/schedules': ({ header, query }) => ({ auth: header.Authorization, query }),
  })
  const [a, b] = await Promise.all([
    http.get('/departments/3/schedules', { query: { date: '2026-11-26', empty: '' } }),
    http.get('/departments/3/schedules', { query: { date: '2026-11-27' } }),
  ])
  expect(fake.calls.logins).toBe(1) // concurrent callers share the login
  expect(a).toEqual({ auth: 'Bearer tok', query: { date: '2026-11-26' } })
  expect(b.query).toEqual({ date: '2026-11-27' })
})

test('a refused token is replaced by one fresh wx.login and the request retried once', async () => {
  let seen = []
  const fake = setup({
    'POST /auth/wx-login': ({ data }) => ({ token: `tok-${data.code}`, expires_in: 10, account_id: 7 }),
    'GET /cards': ({ header }) => {
      seen.push(header.Authorization)
      return header.Authorization === 'Bearer tok-code1' ? [] : apiError(401, 'invalid_token')
    },
  })
  fake.setStorageSync(http.TOKEN_KEY, 'stale')
  await expect(http.get('/cards')).resolves.toEqual([])
  expect(seen).toEqual(['Bearer stale', 'Bearer tok-code1'])
  expect(fake.getStorageSync(http.TOKEN_KEY)).toBe('tok-code1')
  expect(fake.calls.logins).toBe(1)
})

test('a second 401 after the fresh login is an error, not a loop', async () => {
  const fake = setup({
    'POST /auth/wx-login': { token: 'tok', expires_in: 10, account_id: 7 },
    'GET /cards': apiError(401, 'invalid_token'),
  })
  fake.setStorageSync(http.TOKEN_KEY, 'stale')
  const err = await http.get('/cards').catch((e) => e)
  expect(err).toBeInstanceOf(http.ApiError)
  expect(err.code).toBe('invalid_token')
  expect(err.message).toBe('登录已失效，请重新登录')
  expect(fake.calls.logins).toBe(1)
  expect(fake.calls.requests.filter((r) => r.path === '/cards')).toHaveLength(2)
})

test('errors carry code, status, details and the Chinese sentence; no-content answers are null', async () => {
  const fake = setup({
    'DELETE /family/4': apiError(409, 'removal_locked', { removable_at: '2027-01-09T10:00:00+08:00' }),
    'DELETE /family/5': reply(204),
    'GET /hospitals': 'network-down',
  })
  fake.setStorageSync(http.TOKEN_KEY, 'tok')
  const err = await http.del('/family/4').catch((e) => e)
  expect([err.status, err.code, err.details.removable_at]).toEqual([409, 'removal_locked', '2027-01-09T10:00:00+08:00'])
  expect(err.message).toContain('2027-01-09 10:00 起可解除')
  await expect(http.del('/family/5')).resolves.toBeNull()
  const down = await http.get('/hospitals', { auth: false }).catch((e) => e)
  expect([down.status, down.code, down.message]).toEqual([0, 'network', '网络连接失败，请检查网络后重试'])
  expect(fake.calls.requests.find((r) => r.path === '/hospitals').header.Authorization).toBeUndefined()
})
