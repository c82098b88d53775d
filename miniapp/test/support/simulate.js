// Loading pages and components of miniprogram/ with miniprogram-simulate (official WXML
// compiler). Pages also see app.json's global components, as in WeChat.
const path = require('path')
const fs = require('fs')
const simulate = require('miniprogram-simulate')

const ROOT = path.resolve(__dirname, '../../miniprogram')
const APP = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'))

// simulate runs each page's JS with require(); Jest caches modules, so a page loaded twice in
// one test file would not register again without a fresh registry.
function fresh() {
  jest.resetModules()
}

// Renders a page (`pages/cards/list/index`) and runs its onLoad with `query`.
async function renderPage(page, query = {}) {
  fresh()
  const id = simulate.load(path.join(ROOT, page), {
    rootPath: ROOT,
    usingComponents: Object.assign({}, APP.usingComponents),
  })
  const comp = simulate.render(id)
  comp.attach(document.createElement('parent-wrapper'))
  if (typeof comp.instance.onLoad === 'function') await comp.instance.onLoad(query)
  await settle()
  return comp
}

function renderComponent(component, props) {
  fresh()
  const id = simulate.load(path.join(ROOT, component), 'under-test', { rootPath: ROOT })
  const comp = simulate.render(id, props)
  comp.attach(document.createElement('parent-wrapper'))
  return comp
}

// let pending timers/promises of the fake wx run
async function settle(rounds = 5) {
  for (let i = 0; i < rounds; i += 1) await simulate.sleep(1)
}

function text(comp) {
  return comp.dom.textContent.replace(/\s+/g, ' ').trim()
}

module.exports = { ROOT, APP, renderPage, renderComponent, settle, text, simulate }
