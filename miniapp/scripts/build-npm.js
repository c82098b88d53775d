#!/usr/bin/env node
// What WeChat DevTools' "构建 npm" does for this project, without DevTools: each runtime
// dependency of package.json goes to miniprogram/miniprogram_npm/<name>/index.js, where the
// mini-program's require('<name>') finds it. Only single-file CommonJS packages are supported
// (a package whose entry requires other files would need bundling): anything else fails loudly.
const fs = require('fs')
const path = require('path')

const ROOT = path.resolve(__dirname, '..')
const OUT = path.join(ROOT, 'miniprogram', 'miniprogram_npm')

function build() {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
  const built = []
  Object.keys(pkg.dependencies || {}).forEach((name) => {
    const entry = require.resolve(name, { paths: [ROOT] })
    const source = fs.readFileSync(entry, 'utf8')
    if (/\brequire\s*\(/.test(source)) throw new Error(`${name}: its entry ${entry} requires other files; bundle it first`)
    const dir = path.join(OUT, name)
    fs.mkdirSync(dir, { recursive: true })
    fs.writeFileSync(path.join(dir, 'index.js'), source)
    built.push(name)
  })
  return built
}

if (require.main === module) {
  const built = build()
  console.log(`miniprogram_npm: ${built.join(', ') || 'nothing to build'}`)
}

module.exports = { build }
