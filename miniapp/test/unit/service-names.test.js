// One endpoint, one function name: the mini-program's services/ and the web app's services/
// call the same endpoint by the same name, so a reader of one client finds it in the other.
const fs = require('fs')
const path = require('path')

const MP = path.resolve(__dirname, '../../miniprogram/services')
const WEB = path.resolve(__dirname, '../../../web/src/services')

// "/cards/${cardId}/qrcode${qs({ kind })}" -> "/cards/{}/qrcode"
function normal(method, template) {
  const p = template.replace(/\$\{qs\(.*?\)\}/g, '').replace(/\$\{[^}]+\}/g, '{}')
  return `${method.toUpperCase()} ${p}`
}

function webEndpoints() {
  const found = {}
  fs.readdirSync(WEB, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name !== 'admin')
    .forEach((dir) => {
      const file = path.join(WEB, dir.name, 'index.js')
      if (!fs.existsSync(file)) return
      const src = fs.readFileSync(file, 'utf8')
      for (const m of src.matchAll(/export const (\w+) = \([^)]*\) =>\s*request\('(\w+)', [`']([^`']+)[`']/g)) {
        found[normal(m[2], m[3])] = m[1]
      }
    })
  return found
}

function miniappEndpoints() {
  const found = {}
  const METHOD = { get: 'GET', post: 'POST', put: 'PUT', del: 'DELETE' }
  fs.readdirSync(MP)
    .filter((f) => f.endsWith('.js'))
    .forEach((f) => {
      const src = fs.readFileSync(path.join(MP, f), 'utf8')
      for (const m of src.matchAll(/^ {2}(\w+): (?:\([^)]*\)|\w+) =>\s*http\.(get|post|put|del)\([`']([^`']+)[`']/gm)) {
        found[normal(METHOD[m[2]], m[3])] = m[1]
      }
    })
  return found
}

test('the endpoints both clients call have the same function name in both', () => {
  const web = webEndpoints()
  const mp = miniappEndpoints()
  const shared = Object.keys(mp).filter((endpoint) => web[endpoint])
  expect(shared.length).toBeGreaterThanOrEqual(20) // the parsing itself works
  const differing = shared.filter((e) => web[e] !== mp[e]).map((e) => `${e}: web ${web[e]}, mini-program ${mp[e]}`)
  expect(differing).toEqual([])
})
