// Loading pages and components of miniprogram/ with miniprogram-simulate (official WXML
// compiler), with app.json's global components merged in as WeChat does.
const path = require('path')
const fs = require('fs')
const simulate = require('miniprogram-simulate')

const ROOT = path.resolve(__dirname, '../../miniprogram')
const APP = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'))

// A page sees app.json's global components and its own; a component only its own.
function componentsOf(jsonPath, isPage) {
  const json = JSON.parse(fs.readFileSync(`${jsonPath}.json`, 'utf8'))
  const using = Object.assign({}, isPage ? APP.usingComponents : {}, json.usingComponents)
  const resolved = {}
  Object.keys(using).forEach((tag) => {
    const target = using[tag]
    const abs = target.startsWith('/') ? path.join(ROOT, target) : path.resolve(path.dirname(jsonPath), target)
    resolved[tag] = simulate.load(abs, tag, { rootPath: ROOT, usingComponents: componentsOf(abs) })
  })
  return resolved
}

// Renders a page (`pages/cards/list/index`) and runs its onLoad with `query`.
async function renderPage(page, query = {}) {
  const abs = path.join(ROOT, page)
  const id = simulate.load(abs, { rootPath: ROOT, usingComponents: componentsOf(abs, true) })
  const comp = simulate.render(id)
  comp.attach(document.createElement('parent-wrapper'))
  const methods = comp.instance
  if (typeof methods.onLoad === 'function') await methods.onLoad(query)
  await settle()
  return comp
}

function renderComponent(component, props) {
  const abs = path.join(ROOT, component)
  const id = simulate.load(abs, { rootPath: ROOT, usingComponents: componentsOf(abs) })
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
